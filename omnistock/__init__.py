"""Omnistock: process intelligence for omnichannel retail inventory."""

__version__ = "0.1.0"
