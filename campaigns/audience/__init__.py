"""Who gets the message: the filters in order, the suppression list, the sending window."""
