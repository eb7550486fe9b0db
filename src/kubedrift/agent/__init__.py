"""The node agent: collects host and GPU facts the API cannot see and publishes them."""
