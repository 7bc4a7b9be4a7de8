package diagnose

import (
	"fmt"

	"github.com/mongoconn/mongoconn/connstr"
)

// topoDirectClients says, for a connection string with one host and none
// of replicaSet, directConnection and loadBalanced, which clients connect
// to that host alone, and so work where a driver that discovers the set
// finds its advertised members unreachable: mongosh adds
// directConnection=true to such a string (@mongosh/arg-parser,
// uri-generator.js), and PyMongo 3 (pymongo/settings.py before 4.0) and the
// Java driver (ClusterSettings: SINGLE mode for one host without
// requiredReplicaSetName) connect directly to it. The Go driver, the
// Node.js driver and PyMongo 4 default to directConnection=false.
func topoDirectClients(given string) (string, bool) {
	t, err := connstr.ParseTarget(given)
	if err != nil || t.SRV || len(t.Hosts) != 1 || t.ReplicaSet != "" || t.DirectConnection != nil || t.LoadBalanced {
		return "", false
	}
	return fmt.Sprintf("the string names one host and no replicaSet, so some clients connect to %s alone and work from here: "+
		"mongosh (it adds directConnection=true to such a string), PyMongo 3 and the Java driver; "+
		"the Go driver this tool links, the Node.js driver and PyMongo 4 and later discover the set and fail as above", t.Hosts[0]), true
}
