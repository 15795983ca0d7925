"""ocf:openstack:keystone — the Identity API (keystone) under a WSGI server.

The shared implementation is ocfpy_agents.openstack.api.OpenStackAPI; this file sets
keystone's defaults and its authenticated check (it validates its own token).
"""

import os

from ocfpy import codes
from ocfpy_agents.openstack.api import LONGDESC, OpenStackAPI, service_parameters

__all__ = ["Keystone", "main"]



class Keystone(OpenStackAPI):
    name = "keystone"
    shortdesc = "OpenStack Identity API (keystone)"
    longdesc = LONGDESC.format(
        what="Identity (keystone)",
        check="GET /v3/auth/tokens validating the agent's own token against this node's "
              "instance (url); keystone has no standalone server any more, so without "
              "start_command the agent runs \"binary --ini <config directory>/"
              "keystone-uwsgi-public.ini\" (binary: uwsgi)",
        keystone_note="Keystone's own agent authenticates against url (this node's "
                      "instance, not os_auth_url, which is usually the VIP): a token request "
                      "that fails there is keystone failing (1), except a 401 (the monitor's "
                      "credentials are wrong: 190).")

    binary, config, user, url = service_parameters(
        binary="uwsgi", config="/etc/keystone/keystone.conf", user="keystone",
        url="http://127.0.0.1:5000/")
    is_identity = True
    api_check = "/v3/auth/tokens"
    # a cached token that keystone no longer knows is 404 on validation
    stale_token_statuses = (401, 404)

    def uwsgi_ini(self) -> str:
        return os.path.join(os.path.dirname(self.config), "keystone-uwsgi-public.ini")

    def default_command(self):
        return [self.binary, "--ini", self.uwsgi_ini()]

    def validate_node(self):
        super().validate_node()
        if self.action != "stop" and not (self.start_command or "").strip() \
                and not os.path.isfile(self.uwsgi_ini()):
            self.fail(codes.ERR_INSTALLED, f"{self.uwsgi_ini()} does not exist: keystone runs "
                                           "under a WSGI server; set start_command")

    def call_api(self, token):
        from ocfpy_agents.openstack import http

        return http.request("GET", self.base_url + self.api_check, timeout=self.request_timeout(),
                            headers={"X-Auth-Token": token.value, "X-Subject-Token": token.value,
                                     "Accept": "application/json"}, **self.tls())


main = Keystone.main

if __name__ == "__main__":
    main()
