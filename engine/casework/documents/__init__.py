"""Outgoing documents for ДСП and ОЗД made from a case's completed forms (kinds.py declares them):
composed in Bulgarian (compose.py), numbered (numbering.py), rendered to PDF (render.py, templates/),
generated, listed and downloaded with their permissions and audit (service.py)."""
