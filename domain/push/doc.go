// Package push is the push-notification aggregate: a browser's Web Push
// subscription (its endpoint and the keys its notifications are encrypted
// for), the notification of a message sent to a user who is away, and the
// use cases a driving adapter may ask for (Service).
//
// It imports the standard library and chat/domain packages only.
package push
