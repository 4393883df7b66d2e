"""Extensions built on the core: open-loop load, fleets, the wire model, the harness."""
