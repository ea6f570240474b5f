"""The station poll book: who may vote, and who did (never how, never which ballot).

`messages.PollBook` is the interface the booth core codes against; `client.PollBookClient`
implements it over the station link; `server.PollBookServer` and `store.PollBookStore` are the
station console's side. See docs/booth.md.
"""

from booth.pollbook.messages import PollBook

__all__ = ["PollBook"]
