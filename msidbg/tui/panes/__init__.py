"""The panes of the main screen: one widget per module, each a view of the world at the cursor."""
