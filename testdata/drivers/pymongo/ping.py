"""Connects with PyMongo to the connection string in argv[1], runs
{ping: 1} on admin and prints one JSON line on stdout:
  {"driver": "pymongo", "version": ..., "ok": true}
  {"driver": "pymongo", "version": ..., "ok": false, "name": ..., "message": ...}
"name" is the exception's module and class, as the last line of a traceback
shows it. Timeouts come from MONGOCONN_SERVER_SELECTION_MS and
MONGOCONN_CONNECT_MS, as an application sets them in MongoClient's keywords.
"""

import json
import os
import platform
import sys

import pymongo


def ms(name):
    v = int(os.environ[name])
    if v <= 0:
        raise ValueError(name + " must be a positive number of milliseconds")
    return v


def main():
    out = {"driver": "pymongo", "version": pymongo.version,
           "python": platform.python_version(), "ok": False}
    client = None
    try:
        client = pymongo.MongoClient(
            sys.argv[1],
            serverSelectionTimeoutMS=ms("MONGOCONN_SERVER_SELECTION_MS"),
            connectTimeoutMS=ms("MONGOCONN_CONNECT_MS"))
        client.admin.command("ping")
        out["ok"] = True
    except Exception as e:  # every failure is the outcome being recorded
        cls = type(e)
        out["name"] = cls.__module__ + "." + cls.__qualname__
        out["message"] = str(e)
    finally:
        if client is not None:
            client.close()
    sys.stdout.write(json.dumps(out) + "\n")


main()
