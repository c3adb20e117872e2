"""Pathways as coordinators author them: safe import, lint, forms, simulation, versions and deployment."""
