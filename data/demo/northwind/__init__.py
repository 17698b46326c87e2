"""Modules behind data/demo/generate.py (the Northwind Mobile demo generator)."""
