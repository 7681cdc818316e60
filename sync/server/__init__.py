"""The central server: receives kiosks' batches exactly once and sends back question sets and
"You said, we did" items. Run it with ``feedback-server serve``; see sync/core/protocol.py for the messages."""
