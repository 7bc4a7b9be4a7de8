// Command bareping is the yardstick of mongoconn's benchmarks: the least a
// program can do with the Go driver to answer "does this connection string
// work?" — connect, ping, disconnect — with the driver's default options
// unless -timeout is given.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func main() {
	timeout := flag.Duration("timeout", 0, "server selection and connect timeout (0: driver defaults)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: bareping [-timeout D] URI")
		os.Exit(2)
	}
	o := options.Client().ApplyURI(flag.Arg(0))
	if *timeout > 0 {
		o.SetServerSelectionTimeout(*timeout).SetConnectTimeout(*timeout)
	}
	c, err := mongo.Connect(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx := context.Background()
	err = c.Database("admin").RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err()
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = c.Disconnect(dctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
