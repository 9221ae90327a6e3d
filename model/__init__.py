"""Maternal and infant nutrition cost-effectiveness workbook: models and analyses."""

__version__ = "0.1.0"
