"""The OpenStack API agent family (provider ``openstack``): one shared
implementation (``api``: start under a WSGI server, identity-checked stop,
health check and deep monitor), Keystone credentials and tokens (``auth``),
a small HTTP/1.1 client that costs 0.5 ms to import (``http``), and one short
file per service: ``keystone``, ``glance_api``, ``cinder_api``,
``manila_api``."""
