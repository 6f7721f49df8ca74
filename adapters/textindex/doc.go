// Package textindex is what message search means, in one place for every
// store: how a message's text is indexed (Doc) and how a query matches it
// (Parse, Query.Matches), with the snippet shown for a hit (Snippet).
//
// Matching is the same in every language and both modes. Text is folded
// to lower case. A query is up to eight terms: words, or "quoted phrases".
// A term matches a text when one of its forms occurs in it: a form of
// three or more characters as a substring (so "deploy" finds
// "redeployed", "kubectl" finds "kubectl-apply", and Chinese or Japanese
// words are found inside text with no spaces), a shorter form as a whole
// token (so "go" does not find "good"). A word's forms are the word and
// its English and Russian stems (Snowball), so "run" finds "running" and
// "сообщение" finds "сообщения". Every term must match.
//
// The SQL stores index Doc's Body for substrings (pg_trgm, SQLite FTS5
// trigram) and its Tokens for whole tokens (a tsvector, an FTS5 table);
// tokens are hex-encoded, so every script and emoji survives any
// tokenizer as one ASCII word. The memory store runs Matches itself.
//
// textindex imports the standard library, chat/domain/message and
// kljensen/snowball only.
package textindex
