"""ocf:openstack:cinder-api — the Block Storage API (cinder-api).

The shared implementation is ocfpy_agents.openstack.api.OpenStackAPI; this file sets
cinder's defaults and its authenticated check.
"""

from ocfpy_agents.openstack.api import LONGDESC, OpenStackAPI, service_parameters

__all__ = ["CinderAPI", "main"]



class CinderAPI(OpenStackAPI):
    name = "cinder-api"
    shortdesc = "OpenStack Block Storage API (cinder-api)"
    longdesc = LONGDESC.format(what="Block Storage (cinder-api)",
                               check="GET /v3/<project id>/types (the token must be "
                                     "project-scoped: set os_project_name)",
                               keystone_note="")

    binary, config, user, url = service_parameters(
        binary="cinder-api", config="/etc/cinder/cinder.conf", user="cinder",
        url="http://127.0.0.1:8776/")
    api_check = "/v3/{project_id}/types"


main = CinderAPI.main

if __name__ == "__main__":
    main()
