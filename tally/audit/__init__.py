"""Risk-limiting audit of the paper records (issue 12); docs/audit.md is the method.

- `sampler`: the public seed and the SHA-256 consistent sampler (with replacement);
- `assertions`: Art. 29's conditions as SHANGRLA assorters, and the ALPHA test martingale;
- `manifest`: the ballot manifest (papers per booth) from a verified election record;
- `audit`: entries, findings, risk per assertion, the audit record signed by the audit board;
- `report`: the PDF report (zh-TW and en);
- `demo`: one audit round over the virtual printer's paper PNGs, for `make demo`.

tally never imports booth or hardware: QR images are decoded by the caller (refvote/cmd_audit.py
and `demo`, through an optional import of zxing-cpp); this package takes decoded payloads.
"""
