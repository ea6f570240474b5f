"""The booth core: state machines (polls, voter session, ballot) and the voter session's logic.

No screens here: `booth.booth.Booth` is the one API that the Qt interface, the headless
driver, the demo and the tests drive.
"""
