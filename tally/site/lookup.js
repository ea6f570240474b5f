// refvote tracking-code lookup: runs in the browser over the shards shipped with the site.
// Nothing is sent anywhere: a shard is a local script file, codes/<prefix>.js, loaded by a
// <script> element (which also works from file://). No dependency, no network.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("refvote-data").textContent);
  var T = data.text;
  var shards = {};
  var waiting = {};
  var ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

  window.refvoteCodes = function (prefix, rows) {
    shards[prefix] = rows;
    (waiting[prefix] || []).forEach(function (f) { f(rows); });
    delete waiting[prefix];
  };

  function base32(bytes) {
    var out = "", bits = 0, value = 0;
    for (var i = 0; i < bytes.length; i++) {
      value = (value << 8) | bytes[i]; bits += 8;
      while (bits >= 5) { out += ALPHA[(value >>> (bits - 5)) & 31]; bits -= 5; }
    }
    return out;
  }

  // A typed or scanned code → {short, full} (full null for a short code), or null.
  function parse(text) {
    var cleaned = text.replace(/[\s-]/g, "");
    if (/^[0-9a-fA-F]{64}$/.test(cleaned)) {
      var full = cleaned.toLowerCase(), bytes = [];
      for (var i = 0; i < 20; i += 2) { bytes.push(parseInt(full.substr(i, 2), 16)); }
      return { short: base32(bytes), full: full };
    }
    var up = cleaned.toUpperCase();
    if (/^[A-Z2-7]{16}$/.test(up)) { return { short: up, full: null }; }
    return null;
  }

  function load(prefix, done) {
    if (shards[prefix]) { done(shards[prefix]); return; }
    if (!/^[A-Z2-7]+$/.test(prefix)) { done([]); return; }
    if (waiting[prefix]) { waiting[prefix].push(done); return; }
    waiting[prefix] = [done];
    var s = document.createElement("script");
    s.src = data.root + "codes/" + prefix + ".js";
    s.onerror = function () { window.refvoteCodes(prefix, []); };  // no such shard: no code
    document.head.appendChild(s);
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }

  function grouped(s) { return s.match(/.{1,4}/g).join(" "); }

  function show(code, row) {
    var out = document.getElementById("answer");
    out.textContent = "";
    var box = el("div", undefined, "box");
    out.appendChild(box);
    if (!row) {
      box.className = "box bad";
      box.appendChild(el("h2", T.not_found_title));
      box.appendChild(el("p", T.not_found_text.replace("{code}", grouped(code.short))));
      var ul = el("ul");
      T.not_found_steps.forEach(function (step) { ul.appendChild(el("li", step)); });
      box.appendChild(ul);
      return;
    }
    // row: [short, full, kind, station_id, booth_id, reveal, station name, county township]
    var kind = row[2];
    box.appendChild(el("h2", T[kind + "_title"]));
    var dl = el("dl", undefined, "facts");
    dl.appendChild(el("dt", T.code)); dl.appendChild(el("dd", grouped(row[0]), "code"));
    dl.appendChild(el("dt", T.full_code)); dl.appendChild(el("dd", row[1], "code"));
    var station = [row[6], row[7]];
    dl.appendChild(el("dt", T.station));
    var dd = el("dd"), a = el("a", station[0] + " (" + row[3] + ")");
    a.href = data.root + data.lang_root + "station/" + row[3] + ".html";
    dd.appendChild(a); dd.appendChild(document.createTextNode(" " + station[1]));
    dl.appendChild(dd);
    dl.appendChild(el("dt", T.booth)); dl.appendChild(el("dd", row[4]));
    box.appendChild(dl);
    box.appendChild(el("p", T[kind + "_text"].replace("{station}", station[0] + " (" + row[3] + ")")));
    if (kind === "challenged") {
      var table = el("table"), cap = el("caption", T.revealed), head = el("thead"), tr = el("tr");
      table.appendChild(cap);
      [T.case, T.choice].forEach(function (h) { var th = el("th", h); th.scope = "col"; tr.appendChild(th); });
      head.appendChild(tr); table.appendChild(head);
      var body = el("tbody"), taken = {};
      (row[5] || []).forEach(function (r) { taken[r[0]] = r[1]; });
      data.questions.forEach(function (q) {
        var r = el("tr"), th = el("th", q[1]);
        th.scope = "row"; r.appendChild(th);
        r.appendChild(el("td", data.choices[taken[q[0]] || "declined"]));
        body.appendChild(r);
      });
      table.appendChild(body);
      box.appendChild(table);
    }
  }

  function lookup(text) {
    var out = document.getElementById("answer");
    var code = parse(text);
    if (!code) {
      out.textContent = "";
      var box = el("div", undefined, "box bad");
      box.appendChild(el("p", T.malformed));
      out.appendChild(box);
      return;
    }
    load(code.short.substr(0, data.prefix), function (rows) {
      var found = null;
      rows.forEach(function (row) {
        if (row[0] === code.short && (code.full === null || row[1] === code.full)) { found = row; }
      });
      show(code, found);
    });
  }

  var form = document.getElementById("lookup-form");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    lookup(document.getElementById("code").value);
  });
  var fromUrl = /[?&]code=([^&#]*)/.exec(window.location.search);
  if (fromUrl) {
    var given = decodeURIComponent(fromUrl[1].replace(/\+/g, " "));
    document.getElementById("code").value = given;
    lookup(given);
  }
}());
