"""Every string the booth's screens show, once, in zh-TW and en.

Screen code never holds literal text: it asks `text(key, lang, **values)`. `values` are data
(a question's case number and official text, a tracking code, a fingerprint), never wording.
The catalog is complete in both languages (tests/test_booth_ui.py checks it), and every key
also names its accessible phrase: a control's accessible name is its catalog text, or the
`<key>.name` entry where the visible text is too short to say what the control does.
"""

from __future__ import annotations

import enum


class Lang(enum.Enum):
    ZH = "zh-TW"
    EN = "en"


class MissingText(KeyError):
    """A screen asked for a key the catalog does not hold (a bug: caught by the tests)."""


Z, E = Lang.ZH, Lang.EN

CATALOG: dict[str, dict[Lang, str]] = {
    # The bar on every voter screen ----------------------------------------------------------
    "bar.language": {Z: "English", E: "中文"},
    "bar.language.name": {Z: "切換為英文 Switch to English", E: "切換為中文 Switch to Chinese"},
    "bar.size": {Z: "字級 {n}/4", E: "Text size {n}/4"},
    "bar.size.name": {Z: "放大字級，目前第 {n} 級", E: "Make the text larger, now size {n}"},
    "bar.contrast": {Z: "對比 {n}/4", E: "Contrast {n}/4"},
    "bar.contrast.name": {Z: "切換對比模式，目前第 {n} 種", E: "Change the contrast, now mode {n}"},
    "more": {Z: "更多 ▼", E: "More ▼"},
    "more.name": {Z: "顯示下一頁", E: "Show the next page"},
    "previous_page": {Z: "上一頁 ▲", E: "Previous page ▲"},
    "previous_page.name": {Z: "顯示上一頁", E: "Show the previous page"},
    "page": {Z: "第 {n} 頁，共 {of} 頁", E: "Page {n} of {of}"},
    # Welcome ---------------------------------------------------------------------------------
    "welcome.title": {Z: "歡迎投票", E: "Welcome"},
    "welcome.body": {
        Z: "請將您的國民身分證晶片卡插入讀卡機，晶片朝上。",
        E: "Please insert your ID card into the card reader, chip facing up.",
    },
    "welcome.referendum": {Z: "{title}", E: "{title}"},
    "closed.title": {Z: "本投票機目前未開放投票", E: "This booth is not open for voting"},
    "closed.body": {
        Z: "請洽投票所工作人員。",
        E: "Please ask a poll worker.",
    },
    "worker.enter": {Z: "工作人員", E: "Poll worker"},
    "worker.enter.name": {
        Z: "開啟工作人員選單（需要密碼）",
        E: "Open the poll-worker menu (PIN needed)",
    },
    # PIN --------------------------------------------------------------------------------------
    "pin.title": {Z: "請輸入身分證晶片卡密碼", E: "Enter your ID card PIN"},
    "pin.body": {
        Z: "用下方數字鍵輸入，畫面只顯示圓點。",
        E: "Use the keys below. The screen shows dots only.",
    },
    "pin.tries": {
        Z: "密碼錯誤。還可以再試 {n} 次。",
        E: "Wrong PIN. You may try {n} more times.",
    },
    "pin.digit.name": {Z: "數字 {d}", E: "Digit {d}"},
    "pin.erase": {Z: "刪除", E: "Erase"},
    "pin.erase.name": {Z: "刪除最後一個數字", E: "Erase the last digit"},
    "pin.ok": {Z: "確定", E: "OK"},
    "pin.ok.name": {Z: "送出密碼", E: "Send the PIN"},
    "pin.entered": {Z: "已輸入 {n} 位", E: "{n} digits entered"},
    "checking.title": {Z: "正在確認，請稍候", E: "Checking, please wait"},
    "checking.body": {Z: "請勿取出晶片卡。", E: "Do not remove your card."},
    # Eligibility answers ----------------------------------------------------------------------
    "refused.title": {Z: "無法在此投票", E: "You cannot vote at this booth"},
    "refused.not-on-roll": {
        Z: "您不在本投票所的選舉人名冊上。請攜帶身分證向工作人員詢問您的投票所。",
        E: "You are not on this polling station's roll. Take your card to a poll worker, "
        "who will tell you where you vote.",
    },
    "refused.already-voted": {
        Z: "紀錄顯示您已在本投票所投過票。如有疑問，請洽工作人員。",
        E: "The poll book shows you already voted at this station. "
        "If that is wrong, ask a poll worker.",
    },
    "refused.in-progress-elsewhere": {
        Z: "您在另一台投票機的投票尚未結束。請洽工作人員。",
        E: "A voting session for you is open at another booth. Please ask a poll worker.",
    },
    "refused.code-invalid": {
        Z: "這個一次性代碼無效或已使用。請洽工作人員。",
        E: "This one-time code is not valid or was already used. Please ask a poll worker.",
    },
    "refused.pin-blocked": {
        Z: "密碼錯誤次數過多，晶片卡已鎖住。請取回卡片，向工作人員辦理無卡投票。",
        E: "Too many wrong PINs: the card is locked. Take your card and ask a poll worker "
        "for card-less voting.",
    },
    "refused.card-expired": {
        Z: "這張卡片的憑證已過期。請取回卡片，向工作人員辦理無卡投票。",
        E: "This card's certificate has expired. Take your card and ask a poll worker "
        "for card-less voting.",
    },
    "refused.card-revoked": {
        Z: "這張卡片的憑證已被廢止。請取回卡片，向工作人員辦理無卡投票。",
        E: "This card's certificate was revoked. Take your card and ask a poll worker "
        "for card-less voting.",
    },
    "refused.card-unknown-ca": {
        Z: "無法確認這張卡片的發卡單位。請取回卡片，洽工作人員。",
        E: "This card's issuer is not recognised. Take your card and ask a poll worker.",
    },
    "refused.card-unreadable": {
        Z: "無法讀取這張卡片。請取回卡片，確認晶片乾淨後再插入一次，或洽工作人員。",
        E: "The card could not be read. Take it out, check the chip is clean and insert it "
        "again, or ask a poll worker.",
    },
    "refused.pin-wrong": {
        Z: "密碼錯誤。請洽工作人員。",
        E: "Wrong PIN. Please ask a poll worker.",
    },
    "refused.unknown": {
        Z: "無法開始投票。請洽工作人員。",
        E: "Voting could not start. Please ask a poll worker.",
    },
    "take_card": {Z: "請取回晶片卡", E: "Please take your card"},
    "done": {Z: "完成", E: "Done"},
    "done.name": {Z: "結束並回到歡迎畫面", E: "Finish and return to the welcome screen"},
    # Questions --------------------------------------------------------------------------------
    "question.progress": {Z: "第 {n} 題，共 {of} 題", E: "Question {n} of {of}"},
    "question.case": {Z: "{case}　{short}", E: "{case}  {short}"},
    "question.unofficial": {
        Z: "",
        E: "(Unofficial English translation: the Chinese text is the official question.)",
    },
    "choice.yes": {Z: "同意", E: "同意 Yes"},
    "choice.no": {Z: "不同意", E: "不同意 No"},
    "choice.blank": {Z: "空白", E: "空白 Blank"},
    "choice.decline": {Z: "不領取這一題", E: "不領取 I do not take this question"},
    "choice.yes.name": {Z: "選擇同意", E: "Choose yes"},
    "choice.no.name": {Z: "選擇不同意", E: "Choose no"},
    "choice.blank.name": {Z: "投空白票", E: "Cast a blank vote on this question"},
    "choice.decline.name": {Z: "不領取這一題的票", E: "Do not take this question"},
    "chosen": {Z: "● {label}（已選）", E: "● {label} (chosen)"},
    "unchosen": {Z: "○ {label}", E: "○ {label}"},
    "question.previous": {Z: "◀ 上一題", E: "◀ Previous question"},
    "question.previous.name": {Z: "回到上一題", E: "Go back to the previous question"},
    "question.next": {Z: "下一題 ▶", E: "Next question ▶"},
    "question.next.name": {Z: "跳到下一題", E: "Go to the next question"},
    "question.review": {Z: "檢查全部答案 ▶", E: "Review all answers ▶"},
    "question.review.name": {Z: "檢查全部答案", E: "Review all your answers"},
    # Review -----------------------------------------------------------------------------------
    "review.title": {Z: "請檢查您的選擇", E: "Check your choices"},
    "review.line": {Z: "{case}　{short}：{answer}", E: "{case} {short}: {answer}"},
    "review.unanswered": {Z: "（尚未作答，視為不領取）", E: "(not answered: not taken)"},
    "review.change": {Z: "更改", E: "Change"},
    "review.change.name": {Z: "更改{case}的選擇", E: "Change your choice on {case}"},
    "review.print": {Z: "列印紙本紀錄 ▶", E: "Print my paper record ▶"},
    "review.print.name": {Z: "確認並列印紙本紀錄", E: "Confirm and print my paper record"},
    "answer.yes": {Z: "同意", E: "同意 (yes)"},
    "answer.no": {Z: "不同意", E: "不同意 (no)"},
    "answer.blank": {Z: "空白", E: "空白 (blank)"},
    "answer.decline": {Z: "不領取", E: "不領取 (not taken)"},
    # Printing and deciding --------------------------------------------------------------------
    "printing.title": {Z: "正在列印您的紙本紀錄", E: "Printing your paper record"},
    "printing.body": {
        Z: "請稍候，列印完成前請勿取出晶片卡。",
        E: "Please wait. Do not remove your card.",
    },
    "check.title": {Z: "請核對您的紙本紀錄", E: "Check your paper record"},
    "check.body": {
        Z: "請看印表機窗口裡的紙本紀錄。內容正確就按「投下」；"
        "有錯就按「更正」，這張選票將被作廢公開，您可以重新投票。",
        E: "Read the paper record behind the printer's window. If it is right, press Cast. "
        "If it is wrong, press Challenge: this ballot is opened for checking and you vote again.",
    },
    "check.cast": {Z: "投下", E: "投下 Cast"},
    "check.cast.name": {Z: "投下選票，紙本紀錄正確", E: "Cast my ballot: my paper record is right"},
    "check.challenge": {Z: "更正：紀錄有誤", E: "更正 Challenge – my record is wrong"},
    "check.challenge.name": {
        Z: "更正，我的紙本紀錄有誤",
        E: "Challenge: my paper record is wrong",
    },
    "check.worker_called": {
        Z: "已更正兩次，已通知工作人員。您仍然可以投下這張選票。",
        E: "You challenged twice: a poll worker is called. You may still cast this ballot.",
    },
    "cast.title": {Z: "您的選票已投下並計入", E: "Your ballot is cast and counted"},
    "cast.code": {Z: "追蹤碼：{code}", E: "Tracking code: {code}"},
    "cast.body": {
        Z: "收據上印有同一追蹤碼，可在開票後查詢您的選票已被計入。請取回晶片卡與收據。",
        E: "Your receipt shows the same code: after the count you can look it up to see your "
        "ballot was counted. Please take your card and your receipt.",
    },
    "challenged.title": {Z: "這張選票已作廢並公開", E: "This ballot was challenged"},
    "challenged.body": {
        Z: "印表機已印出「更正」單。這張選票不會計入，會公開供查驗，"
        "證明投票機如實加密。請重新投票。",
        E: "The printer printed a CHALLENGED slip. This ballot will not be counted: it is "
        "published so anyone can check the booth encrypted it honestly. Please vote again.",
    },
    "challenged.again": {Z: "重新投票 ▶", E: "Vote again ▶"},
    "challenged.again.name": {Z: "回到題目重新投票", E: "Go back to the questions and vote again"},
    "declined.title": {Z: "您沒有領取任何一題", E: "You took no question"},
    "declined.body": {
        Z: "沒有產生選票。請取回晶片卡。",
        E: "No ballot was made. Please take your card.",
    },
    # Timeout ----------------------------------------------------------------------------------
    "timeout.title": {Z: "您還在嗎？", E: "Are you still there?"},
    "timeout.body": {
        Z: "一段時間沒有操作，投票即將結束。要繼續請按下方按鈕。",
        E: "Nothing was pressed for a while: your session will end soon. Press the button "
        "to continue.",
    },
    "timeout.stay": {Z: "我還在，繼續投票", E: "I am still here"},
    "timeout.stay.name": {Z: "繼續投票", E: "Continue voting"},
    # Faults: full screen, call a poll worker --------------------------------------------------
    "fault.title": {Z: "請找工作人員協助", E: "Please call a poll worker"},
    "fault.card_pulled": {
        Z: "晶片卡在投票完成前被取出，這次投票已結束，沒有任何選票計入。",
        E: "The card was removed before you finished. This session has ended and no ballot "
        "was counted.",
    },
    "fault.timed_out": {
        Z: "太久沒有操作，這次投票已結束，沒有任何選票計入。",
        E: "Nothing was pressed for too long. This session has ended and no ballot was counted.",
    },
    "fault.printer_fault": {
        Z: "印表機發生問題（{state}），這張選票已作廢，沒有計入。",
        E: "The printer has a problem ({state}). This ballot was voided and not counted.",
    },
    "fault.link_down": {
        Z: "無法連線到投票所的選舉人名冊，投票無法開始。",
        E: "The polling station's poll book cannot be reached: voting cannot start.",
    },
    "fault.storage_fault": {
        Z: "投票機無法保存選票，已停止受理投票。",
        E: "The booth could not store the ballot and stopped taking voters.",
    },
    "fault.session_refused": {
        Z: "投票機目前無法開始投票：{reason}",
        E: "The booth cannot start a session now: {reason}",
    },
    # Access: keypad, two switches, audio ballot (booth/ui/access.py, booth/ui/audio.py) -------
    "bar.access": {Z: "語音／輔具", E: "Audio, switches"},
    "bar.access.name": {
        Z: "開啟語音導覽、音量、語速與雙開關設定",
        E: "Open the audio ballot, volume, speed and switch settings",
    },
    "access.title": {Z: "語音與輔具設定", E: "Audio and switch settings"},
    "access.body": {
        Z: "語音導覽會用耳機唸出每個畫面。鍵盤的音量鍵與語速鍵隨時可用。",
        E: "The audio ballot reads every screen aloud in the headphones. The keypad's volume "
        "and speed keys work at any time.",
    },
    "access.audio.off": {Z: "語音導覽：關", E: "Audio ballot: off"},
    "access.audio.off.name": {
        Z: "開啟語音導覽（使用耳機）",
        E: "Turn the audio ballot on (headphones)",
    },
    "access.audio.on": {Z: "語音導覽：開", E: "Audio ballot: on"},
    "access.audio.on.name": {Z: "關閉語音導覽", E: "Turn the audio ballot off"},
    "access.volume.down": {Z: "音量 −（{n}/5）", E: "Volume − ({n}/5)"},
    "access.volume.down.name": {
        Z: "降低音量，目前第 {n} 級",
        E: "Lower the volume, now {n} of 5",
    },
    "access.volume.up": {Z: "音量 ＋（{n}/5）", E: "Volume + ({n}/5)"},
    "access.volume.up.name": {Z: "提高音量，目前第 {n} 級", E: "Raise the volume, now {n} of 5"},
    "access.rate.down": {Z: "語速 −（{n}/5）", E: "Slower ({n}/5)"},
    "access.rate.down.name": {
        Z: "放慢語速，目前第 {n} 級",
        E: "Speak more slowly, now speed {n} of 5",
    },
    "access.rate.up": {Z: "語速 ＋（{n}/5）", E: "Faster ({n}/5)"},
    "access.rate.up.name": {
        Z: "加快語速，目前第 {n} 級",
        E: "Speak faster, now speed {n} of 5",
    },
    "access.blank.off": {Z: "畫面：顯示中", E: "Screen: shown"},
    "access.blank.off.name": {
        Z: "關閉畫面，保護隱私",
        E: "Blank the screen for privacy",
    },
    "access.blank.on": {Z: "畫面：已關閉", E: "Screen: blanked"},
    "access.blank.on.name": {Z: "重新顯示畫面", E: "Show the screen again"},
    "access.switches": {Z: "設定雙開關輔具", E: "Set up two switches"},
    "access.switches.name": {
        Z: "設定並確認雙開關輔具（吹吸開關）",
        E: "Set up and check a two-switch device (sip and puff)",
    },
    "access.back": {Z: "回到投票 ▶", E: "Back to voting ▶"},
    "access.back.name": {Z: "關閉設定，回到投票", E: "Close the settings and go back to voting"},
    "access.unavailable": {
        Z: "本投票機的語音無法使用。請洽工作人員。",
        E: "Speech does not work on this booth. Please ask a poll worker.",
    },
    "calibrate.title": {Z: "雙開關輔具設定", E: "Set up your two switches"},
    "calibrate.body": {
        Z: "「移動」開關把焦點移到下一個按鈕，「選擇」開關按下它。",
        E: "The move switch goes to the next control; the select switch presses it.",
    },
    "calibrate.press_move": {Z: "請按一下您的「移動」開關。", E: "Press your move switch once."},
    "calibrate.press_select": {
        Z: "請按一下您的「選擇」開關。",
        E: "Press your select switch once.",
    },
    "calibrate.confirmed": {
        Z: "兩個開關都已確認。用「移動」到「開始使用開關」，再按「選擇」。",
        E: "Both switches work. Move to Start using the switches, then select it.",
    },
    "calibrate.move.wait": {Z: "移動開關：尚未確認", E: "Move switch: not confirmed yet"},
    "calibrate.move.ok": {Z: "移動開關：已確認 ✓", E: "Move switch: confirmed ✓"},
    "calibrate.select.wait": {Z: "選擇開關：尚未確認", E: "Select switch: not confirmed yet"},
    "calibrate.select.ok": {Z: "選擇開關：已確認 ✓", E: "Select switch: confirmed ✓"},
    "calibrate.wrong": {
        Z: "那是「{got}」開關。請按「{want}」開關。",
        E: "That was the {got} switch. Press the {want} switch.",
    },
    "switch.move": {Z: "移動", E: "move"},
    "switch.select": {Z: "選擇", E: "select"},
    "calibrate.done": {Z: "開始使用開關 ▶", E: "Start using the switches ▶"},
    "calibrate.done.name": {
        Z: "確認開關設定，回到投票",
        E: "Confirm the switches and go back to voting",
    },
    "calibrate.again": {Z: "重新設定", E: "Start again"},
    "calibrate.again.name": {Z: "重新確認兩個開關", E: "Check both switches again"},
    "calibrate.cancel": {Z: "取消", E: "Cancel"},
    "calibrate.cancel.name": {Z: "取消開關設定", E: "Cancel the switch setup"},
    "speech.pause": {Z: "。", E: ". "},
    "speech.hint.keypad": {
        Z: "用上、下鍵移動，用選擇鍵按下。音量鍵與語速鍵在鍵盤上。",
        E: "Use up and down to move and select to press. The volume and speed keys are on "
        "the keypad.",
    },
    "speech.hint.switches": {
        Z: "用「移動」開關前往下一個按鈕，用「選擇」開關按下。",
        E: "Use the move switch to go to the next control and the select switch to press it.",
    },
    "speech.focus.none": {
        Z: "目前沒有選取任何按鈕，請先移動。",
        E: "No control is selected yet: move first.",
    },
    "speech.chosen": {Z: "{name}，目前的選擇", E: "{name}, your current choice"},
    "speech.options": {Z: "選項：{options}", E: "Choices: {options}"},
    "speech.record": {
        Z: "這張選票的選擇是：{lines}",
        E: "The choices on this ballot are: {lines}",
    },
    "speech.worker": {
        Z: "這是工作人員畫面，不會朗讀。要離開，請移動到「{leave}」再按選擇，或請工作人員協助。",
        E: "This is a poll-worker screen and is not read aloud. To leave, move to {leave} and "
        "select it, or ask a poll worker.",
    },
    "speech.volume": {Z: "音量 {n}", E: "Volume {n}"},
    "speech.rate": {Z: "語速 {n}", E: "Speed {n}"},
    "printer.ready": {Z: "正常", E: "ready"},
    "printer.paper near end": {Z: "紙將用完", E: "paper near end"},
    "printer.paper out": {Z: "沒有紙", E: "paper out"},
    "printer.cover open": {Z: "上蓋開啟", E: "cover open"},
    "printer.offline": {Z: "離線", E: "offline"},
    "printer.cutter error": {Z: "裁刀故障", E: "cutter error"},
    "printer.unrecoverable error": {Z: "無法回復的故障", E: "unrecoverable error"},
    "printer.no answer": {Z: "沒有回應", E: "no answer"},
    # Poll worker ------------------------------------------------------------------------------
    "worker.pin.title": {Z: "工作人員密碼", E: "Poll-worker PIN"},
    "worker.pin.body": {
        Z: "每個動作都會再次核對這個密碼。",
        E: "Every action checks this PIN again.",
    },
    "worker.menu.title": {Z: "工作人員選單", E: "Poll-worker menu"},
    "worker.polls": {Z: "投票狀態：{state}", E: "Polls: {state}"},
    "polls.unconfigured": {Z: "尚未載入選舉資料", E: "no election package loaded"},
    "polls.configured": {Z: "已載入，尚未開始投票", E: "configured, not open"},
    "polls.open": {Z: "投票中", E: "open"},
    "polls.paused": {Z: "暫停", E: "paused"},
    "polls.closed": {Z: "已結束", E: "closed"},
    "worker.configure": {Z: "載入選舉資料", E: "Load the election package"},
    "worker.open": {Z: "開始投票（列印零報表）", E: "Open polls (print the zero report)"},
    "worker.pause": {Z: "暫停投票", E: "Pause polls"},
    "worker.resume": {Z: "恢復投票", E: "Resume polls"},
    "worker.close": {Z: "結束投票並匯出", E: "Close polls and export"},
    "worker.export_again": {Z: "再寫一份匯出檔", E: "Write another copy of the export"},
    "worker.printer": {Z: "印表機狀態與換紙", E: "Printer status and paper change"},
    "worker.code": {Z: "無卡投票：輸入一次性代碼", E: "Card-less voter: one-time code"},
    "worker.leave": {Z: "離開工作人員選單", E: "Leave the poll-worker menu"},
    "worker.back": {Z: "回到工作人員選單", E: "Back to the poll-worker menu"},
    "worker.configure.title": {Z: "載入並核對選舉資料", E: "Load and check the election package"},
    "worker.configure.folder": {Z: "選舉資料夾：{folder}", E: "Package folder: {folder}"},
    "worker.configure.body": {
        Z: "請輸入選務機關唸出的核發機關指紋，一字不差：",
        E: "Type the authority fingerprint exactly as the election office reads it aloud:",
    },
    "worker.fingerprint.name": {Z: "核發機關指紋輸入欄", E: "Authority fingerprint field"},
    "worker.configure.go": {Z: "核對並載入", E: "Check and load"},
    "worker.configured.title": {Z: "選舉資料已核對載入", E: "Election package checked and loaded"},
    "worker.configured.body": {
        Z: "{title_zh}。核發機關指紋：{fingerprint}。"
        "請大聲唸出並與選務機關核對。下一步：開始投票。",
        E: "{title_en}. Authority fingerprint: {fingerprint}. Read it aloud and compare it with "
        "the election office's. Next: open polls.",
    },
    "worker.opened.title": {Z: "投票已開始", E: "Polls are open"},
    "worker.opened.body": {
        Z: "零報表已列印：請確認票數皆為 0 並簽名。下一步：離開選單，讓選民投票。",
        E: "The zero report printed: check every count is 0 and sign it. Next: leave the menu "
        "and let voters in.",
    },
    "worker.paused.title": {Z: "投票已暫停", E: "Polls are paused"},
    "worker.paused.body": {
        Z: "暫停報表已列印。恢復時請選「恢復投票」。",
        E: "The pause report printed. To continue, choose Resume polls.",
    },
    "worker.resumed.title": {Z: "投票已恢復", E: "Polls are open again"},
    "worker.resumed.body": {
        Z: "恢復報表已列印。下一步：離開選單，讓選民投票。",
        E: "The resume report printed. Next: leave the menu and let voters in.",
    },
    "worker.closed.title": {Z: "投票已結束，匯出完成", E: "Polls closed, export written"},
    "worker.closed.body": {
        Z: "結束報表已列印。匯出檔：{path}，已讀回核對（SHA-256 {sha}）。"
        "投下 {cast}、更正 {challenged}、作廢 {voided}。您可以取出儲存媒體。",
        E: "The closing report printed. Export: {path}, read back and compared (SHA-256 {sha}). "
        "Cast {cast}, challenged {challenged}, voided {voided}. You may remove the medium.",
    },
    "worker.printer.title": {Z: "印表機", E: "Printer"},
    "worker.printer.state": {Z: "印表機狀態：{state}", E: "Printer state: {state}"},
    "worker.printer.body": {
        Z: "換紙或排除故障後，按「印表機已處理好」；作廢單會補印。",
        E: "After changing the paper or clearing the fault, press Printer attended: owed VOID "
        "slips print then.",
    },
    "worker.printer.attended": {Z: "印表機已處理好", E: "Printer attended"},
    "worker.printer.done.title": {Z: "印表機已就緒", E: "The printer is ready"},
    "worker.printer.done.body": {
        Z: "作廢單已補印。下一步：離開選單，讓選民投票。",
        E: "Owed VOID slips printed. Next: leave the menu and let voters in.",
    },
    "worker.code.title": {Z: "無卡投票", E: "Card-less voter"},
    "worker.code.body": {
        Z: "輸入主控台核發的一次性代碼（12 個字元），然後請選民開始投票。",
        E: "Type the one-time code from the station console (12 characters), then hand the "
        "booth to the voter.",
    },
    "worker.code.field.name": {Z: "一次性代碼輸入欄", E: "One-time code field"},
    "worker.code.go": {Z: "開始無卡投票", E: "Start the card-less session"},
    "worker.error.title": {Z: "無法完成", E: "Not done"},
    "worker.error.body": {
        Z: "{error}。請依訊息處理後再試一次。",
        E: "{error}. Do what it says, then try again.",
    },
    # Poll worker, issue 15: the rest of the menu, readiness, shut down, the core's errors ------
    "worker.reader": {Z: "讀卡機狀態", E: "Card reader status"},
    "worker.reprint": {Z: "補印上一張報表", E: "Reprint the last report"},
    "worker.stuck": {Z: "處理卡住的報到", E: "Release a stuck check-in"},
    "worker.reset": {Z: "重新開啟（兩人授權）", E: "Reset to paused (two people)"},
    "worker.recover": {Z: "儲存復原（兩人授權）", E: "Storage recovery (two people)"},
    "worker.readiness": {Z: "整備檢查", E: "Readiness check"},
    "worker.shutdown": {Z: "關閉投票機", E: "Shut down the booth"},
    "worker.reader.title": {Z: "讀卡機", E: "Card reader"},
    "worker.reader.name": {Z: "讀卡機名稱：{name}", E: "Reader: {name}"},
    "worker.reader.body": {
        Z: "沒有讀卡機時，請檢查 USB 線並重新插上，再按「再檢查一次」。",
        E: "If no reader is found, check its USB cable and plug it in again, then press "
        "Check again.",
    },
    "worker.reader.again": {Z: "再檢查一次", E: "Check again"},
    "reader.no-reader": {Z: "找不到讀卡機", E: "No card reader found"},
    "reader.empty": {Z: "讀卡機正常，沒有卡片", E: "Reader ready, no card in it"},
    "reader.card": {Z: "讀卡機正常，卡片有回應", E: "Reader ready, a card answered"},
    "reader.card-trouble": {
        Z: "讀卡機裡的卡片沒有回應",
        E: "A card is in the reader and does not answer",
    },
    "report.zero": {Z: "開機歸零報表", E: "zero report"},
    "report.pause": {Z: "暫停投票報表", E: "pause report"},
    "report.resume": {Z: "恢復投票報表", E: "resume report"},
    "report.closing": {Z: "關機結算報表", E: "closing report"},
    "report.reset": {Z: "暫停投票報表（重新開啟）", E: "pause report (reset)"},
    "report.configured": {Z: "載入報表", E: "configuration report"},
    "worker.reprinted.title": {Z: "報表已補印", E: "Report reprinted"},
    "worker.reprinted.body": {
        Z: "{kind}已再印一份，上下都標示「補印」。下一步：回到選單。",
        E: "The {kind} printed again, marked REPRINT at the top and the bottom. Next: back "
        "to the menu.",
    },
    "worker.stuck.title": {Z: "卡住的報到", E: "Stuck check-ins"},
    "worker.stuck.body": {
        Z: "選民在投票中途，若投票機當機，名冊會顯示該選民「投票中」。按下方按鈕：投票機會重送"
        "尚未確認的投票，並告知名冊它還欠哪些；之後在主控台執行 refvote station release "
        "--booth {booth} 釋放。",
        E: "When a booth stops mid-session, the poll book shows that voter as in progress. "
        "Press the button: the booth resends unacknowledged casts and tells the poll book "
        "which sessions it still owes; then at the station console run refvote station "
        "release --booth {booth}.",
    },
    "worker.stuck.go": {Z: "告知選舉人名冊", E: "Tell the poll book"},
    "worker.stuck.reported.title": {Z: "已告知選舉人名冊", E: "The poll book was told"},
    "worker.stuck.reported.body": {
        Z: "名冊目前有 {n} 筆本機的報到在投票中。下一步：在主控台執行 refvote station "
        "release --booth {booth}，只會釋放有依據的報到。",
        E: "The poll book holds {n} check-ins of this booth in progress. Next: at the station "
        "console run refvote station release --booth {booth}; it releases only those with "
        "evidence.",
    },
    "worker.stuck.pending.title": {Z: "名冊尚未確認投票", E: "Casts not yet acknowledged"},
    "worker.stuck.pending.body": {
        Z: "有 {n} 張已投下的選票，名冊尚未確認：連線中斷。請檢查網路線後再試。若投票機無法使用，"
        "請把鏡像媒體上的 {path} 帶到主控台：refvote station release --booth {booth} "
        "--mirror-outbox 該檔案。",
        E: "{n} cast ballots are not yet acknowledged by the poll book: the link is down. "
        "Check the cable and try again. If this booth cannot be used, take {path} from the "
        "mirror medium to the console: refvote station release --booth {booth} "
        "--mirror-outbox FILE.",
    },
    "worker.stuck.unreachable.title": {Z: "無法連線到名冊", E: "Poll book unreachable"},
    "worker.stuck.unreachable.body": {
        Z: "名冊沒有回應，沒有告知任何事。請檢查網路線後再試一次。",
        E: "The poll book did not answer: nothing was told. Check the cable and try again.",
    },
    "worker.two.reset.title": {Z: "重新開啟已結束的投票", E: "Reset closed polls to paused"},
    "worker.two.recover-store.title": {
        Z: "復原：以內部硬碟為準",
        E: "Recovery: trust the internal disk",
    },
    "worker.two.recover-mirror.title": {
        Z: "復原：以鏡像媒體為準",
        E: "Recovery: trust the mirror medium",
    },
    "worker.two.officer": {
        Z: "兩人授權（會記錄）：主任管理員請輸入密碼",
        E: "Two people, logged. Chief officer: type your PIN",
    },
    "worker.two.supervisor": {
        Z: "兩人授權（會記錄）：主任監察員請輸入密碼",
        E: "Two people, logged. Chief supervisor: type your PIN",
    },
    "worker.reset_done.title": {Z: "投票已重新開啟為暫停", E: "Polls reset to paused"},
    "worker.reset_done.body": {
        Z: "暫停報表已列印。下一步：選「恢復投票」讓選民投票，結束時再選「結束投票並匯出」。",
        E: "The pause report printed. Next: choose Resume polls to let voters in, and Close "
        "polls and export at the end.",
    },
    "worker.recover.title": {Z: "儲存復原", E: "Storage recovery"},
    "worker.recover.none": {Z: "目前沒有儲存問題。", E: "There is no storage problem now."},
    "worker.recover.body": {
        Z: "選擇要相信的副本，另一份由它重建。若另一份有這份沒有的紀錄，復原會被拒絕，"
        "不會遺失任何選票。鏡像媒體遺失或換新：以內部硬碟為準。內部硬碟較舊或更換：以鏡像為準。",
        E: "Choose the copy to trust; the other is rebuilt from it. If the other holds a "
        "record this one does not, the recovery is refused: no ballot is lost. Mirror lost or "
        "replaced: trust the internal disk. Internal disk older or replaced: trust the mirror.",
    },
    "worker.recover.store": {Z: "以內部硬碟為準，重寫鏡像", E: "Trust the internal disk"},
    "worker.recover.mirror": {Z: "以鏡像媒體為準，補齊硬碟", E: "Trust the mirror medium"},
    "worker.recovered.title": {Z: "復原完成", E: "Recovery done"},
    "worker.recovered.body": {
        Z: "已複製 {n} 筆紀錄，兩份副本一致。下一步：回到選單，恢復或開始投票。",
        E: "{n} records copied; both copies agree. Next: back to the menu to resume or open polls.",
    },
    "readiness.title": {
        Z: "整備檢查：每項結果都會記錄並列印",
        E: "Readiness check: each result is logged and printed",
    },
    "readiness.line": {Z: "{item}：{result}", E: "{item}: {result}"},
    "readiness.printer": {Z: "印表機測試列印", E: "Printer test print"},
    "readiness.card-reader": {Z: "讀卡機與測試卡", E: "Card reader with a test card"},
    "readiness.speaker": {Z: "耳機語音", E: "Speech through the headphones"},
    "readiness.keypad": {Z: "觸覺按鍵每一鍵", E: "Every key of the tactile keypad"},
    "readiness.switches": {Z: "雙開關裝置", E: "The two switches"},
    "readiness.passed": {Z: "✓ 通過", E: "✓ passed"},
    "readiness.failed": {Z: "✗ 未通過", E: "✗ failed"},
    "readiness.not_checked": {Z: "○ 尚未檢查", E: "○ not checked yet"},
    "readiness.do.printer": {Z: "測試列印", E: "Test print"},
    "readiness.do.card": {Z: "插入測試卡後按此", E: "Test card inserted: check"},
    "readiness.do.speaker": {Z: "測試耳機", E: "Test the headphones"},
    "readiness.do.walk": {Z: "測試按鍵與開關", E: "Test the keys and switches"},
    "readiness.do.report": {Z: "列印整備檢查報表", E: "Print the readiness report"},
    "readiness.speaker.phrase": {
        Z: "這是投票機耳機測試。",
        E: "This is the booth's headphone test.",
    },
    "worker.speaker.title": {Z: "耳機測試", E: "Headphone test"},
    "worker.speaker.body": {
        Z: "戴上耳機：投票機先用中文、再用英文說一句話。聽得清楚嗎？",
        E: "Put the headphones on: the booth says one sentence in Chinese, then in English. "
        "Did you hear both clearly?",
    },
    "worker.speaker.heard": {Z: "兩句都聽清楚了", E: "I heard both clearly"},
    "worker.speaker.silent": {Z: "沒有聽到或不清楚", E: "Not heard, or not clearly"},
    "worker.speaker.again": {Z: "再說一次", E: "Say it again"},
    "walk.title": {Z: "按鍵與開關測試", E: "Keys and switches test"},
    "walk.body": {
        Z: "逐一按下觸覺按鍵的每一鍵和兩個開關；按到的會標示「✓」。全部按完後按「完成」。",
        E: "Press every key of the tactile keypad and both switches, one by one; each one "
        "pressed is marked ✓. Then press Done.",
    },
    "walk.keypad": {Z: "按鍵：", E: "Keypad:"},
    "walk.switch": {Z: "開關：", E: "Switches:"},
    "walk.seen": {Z: "✓{name}", E: "✓ {name}"},
    "walk.not_seen": {Z: "○{name}", E: "○ {name}"},
    "walk.keypad.up": {Z: "上", E: "up"},
    "walk.keypad.down": {Z: "下", E: "down"},
    "walk.keypad.left": {Z: "左", E: "left"},
    "walk.keypad.right": {Z: "右", E: "right"},
    "walk.keypad.select": {Z: "選擇", E: "select"},
    "walk.keypad.volume-up": {Z: "音量+", E: "volume+"},
    "walk.keypad.volume-down": {Z: "音量−", E: "volume−"},
    "walk.keypad.rate-up": {Z: "語速+", E: "rate+"},
    "walk.keypad.rate-down": {Z: "語速−", E: "rate−"},
    "walk.done": {Z: "完成", E: "Done"},
    "worker.readiness.printed.title": {Z: "整備檢查通過", E: "Readiness check passed"},
    "worker.readiness.printed.body": {
        Z: "整備檢查報表已列印，請兩位主管簽名。下一步：開始投票（列印零報表）。",
        E: "The readiness report printed: both chiefs sign it. Next: open polls (the zero "
        "report prints).",
    },
    "worker.readiness.failed.title": {
        Z: "整備檢查有項目未通過",
        E: "Readiness check: not all passed",
    },
    "worker.readiness.failed.body": {
        Z: "整備檢查報表已列印，未通過的項目已標示。請排除問題後重做該項並再印一次報表；"
        "無法排除時請聯絡選務機關。",
        E: "The readiness report printed, with the items that failed marked. Fix them, check "
        "those items again and print the report again; if you cannot, call the election office.",
    },
    "worker.shutdown.title": {Z: "關閉投票機", E: "Shut down the booth"},
    "worker.shutdown.body": {
        Z: "投票機程式會停止並記錄在事件紀錄中。投票資料都已保存；重新開機後會自動核對。",
        E: "The booth software stops, and this is logged. Every ballot is already stored; "
        "at the next start the booth checks its copies.",
    },
    "worker.shutdown.go": {Z: "關閉投票機程式", E: "Shut down the booth software"},
    "worker.off.title": {Z: "投票機程式已停止", E: "The booth software has stopped"},
    "worker.off.body": {
        Z: "現在可以關閉投票機電源。",
        E: "You may switch the booth off now.",
    },
    "worker.err.pin_wrong": {
        Z: "工作人員密碼錯誤：再錯 {n} 次將暫時鎖定",
        E: "Wrong poll-worker PIN: {n} more wrong tries lock poll-worker actions",
    },
    "worker.err.pin_refused": {Z: "工作人員密碼錯誤", E: "Wrong poll-worker PIN"},
    "worker.err.locked": {
        Z: "密碼錯誤次數過多：工作人員功能鎖定到 {until}，請稍候再試",
        E: "Too many wrong PINs: poll-worker actions are locked until {until}; wait, then "
        "try again",
    },
    "worker.err.pin_malformed": {Z: "密碼是 6 到 12 位數字", E: "A PIN is 6 to 12 digits"},
    "worker.err.same_twice": {
        Z: "兩次輸入的是同一個密碼：這個動作需要主任管理員與主任監察員兩個人",
        E: "The same PIN twice: this action takes the chief officer and the chief "
        "supervisor, two people",
    },
    "worker.err.pin_unknown": {
        Z: "選舉資料沒有本投票所的工作人員密碼：請聯絡選務機關",
        E: "The package holds no poll-worker PIN for this station: call the election office",
    },
    "worker.err.second_factor": {
        Z: "請將工作人員卡插入讀卡機",
        E: "Insert your poll-worker card into the reader",
    },
    "worker.err.package": {
        Z: "選舉資料沒有通過核對：指紋不符、資料損毀，或不是本投票機的資料。請再核對唸出的指紋，"
        "或聯絡選務機關",
        E: "The election package did not check out: the fingerprint differs, the files are "
        "damaged, or it is not this booth's package. Check the fingerprint read aloud again, "
        "or call the election office",
    },
    "worker.err.transition": {
        Z: "投票狀態是「{state}」，現在不能做這個動作",
        E: "Polls are {state}: this action is not possible now",
    },
    "worker.err.open": {Z: "無法開始投票", E: "The polls cannot open"},
    "worker.err.open.store-not-empty": {
        Z: "內部硬碟上的投票資料不是空的：這台投票機已經用過。請聯絡選務機關",
        E: "The ballot store is not empty: this booth was used already. Call the election office",
    },
    "worker.err.open.mirror-not-empty": {
        Z: "鏡像媒體不是空的：請換一個空白的鏡像媒體",
        E: "The mirror medium is not empty: insert a blank mirror medium",
    },
    "worker.err.open.printer-not-ready": {
        Z: "印表機沒有就緒：請檢查紙捲、上蓋與連接線",
        E: "The printer is not ready: check the paper, the cover and the cable",
    },
    "worker.err.open.zero-report-not-printed": {
        Z: "零報表沒有印出：請檢查印表機後再試",
        E: "The zero report did not print: check the printer and try again",
    },
    "worker.err.open.outbox-not-empty": {
        Z: "名冊還沒確認所有已投下的選票：請檢查與名冊的連線",
        E: "The poll book has not acknowledged every cast: check the station link",
    },
    "worker.err.closing": {
        Z: "現在不能結束或暫停：有選民正在投票，或有尚未決定的選票（請重新啟動投票機讓它作廢）",
        E: "Not now: a voter is voting, or a ballot is undecided (restart the booth to void it)",
    },
    "worker.err.nothing_to_reprint": {
        Z: "投票機啟動後還沒有印過報表，沒有可補印的",
        E: "No report was printed since the booth started: nothing to reprint",
    },
    "worker.err.recovery_refused": {
        Z: "另一份副本有這份沒有的紀錄，復原會遺失選票，已拒絕。兩份副本保持原狀：請聯絡選務機關",
        E: "The other copy holds records this one does not: the recovery would lose "
        "ballots and was refused. Both copies are kept as they are: call the election office",
    },
    "worker.err.storage": {
        Z: "內部硬碟與鏡像媒體的投票紀錄不一致或損毀，投票機不受理選民。請用「儲存復原」，"
        "或聯絡選務機關",
        E: "The internal disk and the mirror medium disagree, or one is damaged: the booth "
        "takes no voter. Use Storage recovery, or call the election office",
    },
    "worker.err.export": {
        Z: "匯出檔無法寫入或讀回不符：請換一個儲存媒體，再選「再寫一份匯出檔」",
        E: "The export could not be written and read back: insert another medium and "
        "choose Write another copy of the export",
    },
    "session.refused.polls": {
        Z: "投票目前沒有開放（尚未開始、暫停中或已結束）",
        E: "voting is not open at this booth now (not yet, paused, or closed)",
    },
    "session.refused.storage": {
        Z: "投票機的儲存媒體需要工作人員處理",
        E: "the booth's storage needs a poll worker",
    },
    "session.refused.printer": {
        Z: "印表機需要工作人員處理",
        E: "the printer needs a poll worker",
    },
    "session.refused.busy": {
        Z: "另一位選舉人正在使用投票機",
        E: "another voter's session is still in progress",
    },
    "session.refused.poll-book": {
        Z: "無法連線到選舉人名冊",
        E: "the poll book cannot be reached",
    },
    "session.refused.no-session": {
        Z: "還沒有開始投票：請先插入身分證",
        E: "no session has started: insert your ID card first",
    },
    "worker.err.printer_not_ready": {
        Z: "印表機仍未就緒，或作廢單沒有印出：請檢查紙捲、上蓋與連接線後再試",
        E: "The printer is still not ready, or a VOID slip did not print: check the paper, "
        "the cover and the cable, then try again",
    },
    "worker.err.print_failed": {
        Z: "印表機沒有印完（{state}）：請處理後再試",
        E: "The printer did not finish ({state}): fix it, then try again",
    },
    "worker.err.medium": {
        Z: "儲存媒體無法使用：請確認已插好、有空間",
        E: "The storage medium cannot be used: check it is plugged in and has space",
    },
    "worker.err.no_reader": {
        Z: "找不到讀卡機：請檢查 USB 線",
        E: "No card reader found: check its USB cable",
    },
    "worker.err.speaker": {
        Z: "沒有聲音輸出：耳機或語音程式沒有設定好",
        E: "No speech output: the headphones or the speech program are not set up",
    },
    "worker.err.device": {
        Z: "裝置沒有回應：請檢查連接線後再試",
        E: "A device did not answer: check its cable and try again",
    },
    "worker.err.other": {
        Z: "投票機拒絕了這個動作（{detail}）",
        E: "The booth refused this action ({detail})",
    },
}

# Keys whose text may be empty in one language (the other says something only it needs).
MAY_BE_EMPTY = frozenset({("question.unofficial", Lang.ZH)})


def text(key: str, lang: Lang, **values: object) -> str:
    try:
        entry = CATALOG[key]
    except KeyError:
        raise MissingText(key) from None
    return entry[lang].format(**values)


def has(key: str) -> bool:
    return key in CATALOG
