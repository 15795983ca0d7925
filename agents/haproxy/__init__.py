"""The HAProxy agent family: ``ocf:ocfpy:haproxy`` (``agent``), HAProxy in
master-worker mode without systemd, and its helpers: the master CLI client
and its ``show proc`` / ``show stat`` parsing (``master``), the min_healthy
rules (``health``), the launched master's identity record (``record``) and
running the haproxy program -- configuration check, launch, extra_args,
HAProxy's messages, an instance's processes (``launch``). Monitors import
no subprocess: ``master`` talks to the socket through the C ``_socket``."""
