"""The Galera agent family: ``ocf:ocfpy:galera`` (``agent``), Galera's
state and bootstrap election as pure functions (``wsrep``), mariadbd started,
found, stopped and asked for its position (``mysqld``), the mysql user's
files as root touches them (``datadir``), the agent's notes in the run
directory (``notes``), the questions asked of the server and the check
credentials (``server``), and ``ocfpy clustercheck``, HAProxy's HTTP health
check of a node (``clustercheck``)."""
