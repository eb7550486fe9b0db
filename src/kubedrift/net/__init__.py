"""What every httpx2 client kubedrift opens shares, below both users: the apiserver
connection (`cluster/connection.py`) and the alert senders (`alerts/dispatcher.py`)."""
