"""Backends that run the engine's SQL and return Arrow tables. See :mod:`.base`."""

from .base import REGISTRY, Adapter, BaseAdapter, connect

__all__ = ["REGISTRY", "Adapter", "BaseAdapter", "connect"]
