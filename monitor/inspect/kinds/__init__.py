"""One module per payload kind (see ``monitor.inspect``)."""
