"""The inbound side: chat commands answered from the store, whatever the platform.

``parse`` reads a command out of a chat message, ``core`` answers it (no platform code),
``paging`` fits the answer into the platform's message limit, ``runner`` connects a platform's
inbox (``channels.inbound``) to the core and sends the replies through the same outlets the
outbox uses.
"""
