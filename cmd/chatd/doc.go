// Command chatd is the chat server: REST API, WebSocket gateway and job
// workers in one binary. It is the only place that reads the environment and
// wires adapters to the application.
//
//	chatd [serve]             API + WebSocket (+ workers unless WORKERS=0)
//	chatd worker              job workers only
//	chatd migrate up|down|version
//	chatd backup FILE         consistent copy of the embedded database
//	chatd healthcheck         exit 0 when the local server answers /healthz
//	chatd vapid               print a new VAPID key pair (Web Push, scale-out)
//
// Nothing imports it: it is the outermost layer, the only package that
// imports the adapters and the application together.
package main
