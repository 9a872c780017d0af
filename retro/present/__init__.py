"""What people read: formats, the sanitiser, terminal text and the export renderers.

``format`` says how a figure reads (ratios, risks, metric labels, counts, short dates);
``sanitize`` makes untrusted text inert; ``tables`` turns the report into plain tables,
which ``markdown``, ``html``, ``csv``, ``json`` and ``terminal`` render.
"""
