"""Editing campaign files from the staff pages: the form's fields (``form``), the verdict of
the loader and of sync on a would-be file (``verdict``), atomic writes into the office's
folders (``files``) and the history of saves (``history``). The files stay the source of
truth: the daemon's reload applies what the editor writes."""
