package transport

// NotifyListChanged tells connected clients that the lists of the given
// kinds ("tools", say) changed. It does nothing here: the streaming
// transport replaces it with the real notification, sent on each client's
// server-to-client stream.
func (h *Handler) NotifyListChanged(kinds ...string) {}
