"""The Galera agent family: ``ocf:ocfpy:galera`` (``agent``), Galera's
state and bootstrap election as pure functions (``wsrep``), the questions
asked of the server and the check credentials (``server``), and ``ocfpy
clustercheck``, HAProxy's HTTP health check of a node (``clustercheck``)."""
