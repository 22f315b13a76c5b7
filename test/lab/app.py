"""The lab's tiny web app: answers GET with 200 "ok", or misbehaves on demand.

Its behaviour is read per request from /run/lab/app.mode, so fault injection is a file write
inside the server's mount namespace: "ok" (default), "error" (HTTP 500) or "hang" (never answers).
"""
import http.server
import os
import sys
import time

MODE_FILE = '/run/lab/app.mode'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
ACCESS_LOG = '/var/log/app/access.log'


def mode():
    try:
        with open(MODE_FILE) as f:
            return f.read().strip() or 'ok'
    except OSError:
        return 'ok'


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        current = mode()
        if current == 'hang':
            time.sleep(3600)
            return
        status, body = (500, b'error\n') if current == 'error' else (200, b'ok\n')
        self.send_response(status)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        try:
            with open(ACCESS_LOG, 'a') as f:
                f.write('%s - %s\n' % (self.address_string(), fmt % args))
        except OSError:
            pass


os.makedirs(os.path.dirname(ACCESS_LOG), exist_ok=True)
server = http.server.ThreadingHTTPServer(('0.0.0.0', PORT), Handler)
server.daemon_threads = True
server.serve_forever()
