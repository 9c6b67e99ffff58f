"""Integrations with other libraries, each plugged into hooks the domain and channels offer."""
