"""ocf:openstack:manila-api — the Shared File Systems API (manila-api).

The shared implementation is ocfpy_agents.openstack.api.OpenStackAPI; this file sets
manila's defaults and its authenticated check.
"""

from ocfpy_agents.openstack.api import LONGDESC, OpenStackAPI, service_parameters

__all__ = ["ManilaAPI", "main"]



class ManilaAPI(OpenStackAPI):
    name = "manila-api"
    shortdesc = "OpenStack Shared File Systems API (manila-api)"
    longdesc = LONGDESC.format(what="Shared File Systems (manila-api)",
                               check="GET /v2/types with X-OpenStack-Manila-API-Version: 2.0",
                               keystone_note="")

    binary, config, user, url = service_parameters(
        binary="manila-api", config="/etc/manila/manila.conf", user="manila",
        url="http://127.0.0.1:8786/")
    api_check = "/v2/types"
    api_check_headers = {"X-OpenStack-Manila-API-Version": "2.0"}


main = ManilaAPI.main

if __name__ == "__main__":
    main()
