package diagnose

import (
	"errors"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/connfind"
	"github.com/mongoconn/mongoconn/report"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// classifyDriverError turns an error returned by the driver into findings,
// walking its chain with errors.As: the server-selection error carries the
// topology the driver saw, with each server's last error.
func (e *Engine) classifyDriverError(err error, t *connstr.Target) []report.Finding {
	if err == nil {
		return nil
	}
	var sel topology.ServerSelectionError
	if errors.As(err, &sel) {
		return connfind.ClassifyTopology(sel.Desc, err)
	}
	if f, ok := connfind.Classify(err, ""); ok {
		return []report.Finding{f}
	}
	return []report.Finding{catalogue.NewFinding(catalogue.IDSelectTimeout, connfind.FirstLine(connfind.DriverErrorText(err)))}
}
