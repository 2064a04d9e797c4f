"""Data categories: the standard schemas agencies' deliveries are standardized to."""

from liuyu.catalog.model import Category, CodeList, Field, get_category, load_categories, load_codelists

__all__ = ["Category", "CodeList", "Field", "get_category", "load_categories", "load_codelists"]
