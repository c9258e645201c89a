"""What the coordinators read: statistics import and download, the figures, the October report
(``october``, with ``render``, ``charts`` and ``mailing``), and its command line (``cli``)."""
