package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A generated multilingual chat corpus for BenchmarkSearch: English chat
// (a Zipf law over common and work words), Russian, Chinese and Japanese
// without spaces, identifiers, emoji, a few templated phrases and rare
// words, spread over rooms. It is loaded straight into the tables, index
// rows included (indexDoc, as the stores write them), since
// appending a million messages one by one would take the benchmark's
// whole budget.

var (
	corpusEnglish = strings.Fields(`the to and a of in is it you that for on i this be we are with
		have not at can will do just so but if from what my all about out up get there now one when me
		no like time know make how see look new good going work today think need should would could
		please thanks ok yes they them their our your was were been has had did does its than then
		also back after before again still some any more most other into over only very well here`)
	corpusWork = strings.Fields(`deploy deployment release build test tests running merge branch
		review server database cluster pipeline error failed fix bug issue ticket meeting lunch
		coffee weekend customer report dashboard metrics alert latency timeout config rollback
		staging production kubernetes docker terraform migration backup incident monitoring logs
		query index search frontend backend api endpoint cache redis postgres network design sprint
		deadline budget invoice contract holiday birthday standup retro demo roadmap feature
		refactor upgrade version patch hotfix outage restart memory disk cpu load traffic users
		signup login password token session billing payment schedule calendar office remote`)
	corpusRussian = strings.Fields(`привет всем сообщение сообщения сообщений сервер сервера сервером
		база данных обновление обновлён релиз сборка тесты ошибка ошибки исправил встреча завтра
		сегодня вчера работает не и в на что это как все уже ещё проект задача задачи команда отчёт
		клиент деплой посмотри пожалуйста спасибо хорошо можно нужно сделать готово проверил логи
		падает упал поднял перезапуск конфиг ветка мерж ревью`)
	corpusChinese = strings.Fields(`我们 明天 今天 开会 北京 上海 服务器 数据库 部署 测试 问题 修复
		发布 版本 客户 项目 时间 工作 需要 已经 没有 可以 一个 这个 什么 怎么 谢谢 好的 大家 会议
		报告 上线 回滚 监控 日志 配置 性能 用户 登录 支付`)
	corpusJapanese = strings.Fields(`明日 東京 会議 です ます 部署 新しい 配属 されました サーバー
		デプロイ テスト 確認 お願いします ありがとう 大阪 今日 資料 対応 完了 障害 復旧 本番 環境
		設定 変更 予定 担当 よろしく`)
	corpusIdents = strings.Fields(`kubectl-apply deploy_config.yaml main.go README.md docker-compose.yml
		values.yaml Makefile go.mod package.json .env nginx.conf ci/cd k8s helm-chart terraform.tfstate`)
	corpusEmoji   = strings.Fields(`🎉 ✅ 🚀 👍 😂 🔥 🙏 ❤️ 👀 💯`)
	corpusPhrases = []string{"the release is done", "release done 🎉", "build failed again", "can you review my PR",
		"сервер упал", "本番環境で障害", "服务器已经上线"}
	// corpusRare are words planted once in every corpusRareEvery messages.
	corpusRare = strings.Fields(`zebrafish quokka marzipan xylophone серендипити 蝴蝶 ひまわり`)
)

const corpusRareEvery = 50_000

// corpusText is message i's text.
func corpusText(rng *rand.Rand, zipf *rand.Zipf, i int) string {
	var b strings.Builder
	word := func(ws []string) string { return ws[rng.IntN(len(ws))] }
	english := func(n int) {
		vocab := len(corpusEnglish) + len(corpusWork)
		for k := range n {
			if k > 0 {
				b.WriteByte(' ')
			}
			j := int(zipf.Uint64()) % vocab
			if j < len(corpusEnglish) {
				b.WriteString(corpusEnglish[j])
			} else {
				b.WriteString(corpusWork[j-len(corpusEnglish)])
			}
		}
	}
	switch p := rng.IntN(100); {
	case p < 55:
		english(3 + rng.IntN(16))
	case p < 72:
		for k := range 3 + rng.IntN(10) {
			if k > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(word(corpusRussian))
		}
	case p < 82:
		for range 3 + rng.IntN(8) {
			b.WriteString(word(corpusChinese))
		}
		b.WriteString("。")
	case p < 88:
		for range 3 + rng.IntN(6) {
			b.WriteString(word(corpusJapanese))
		}
	case p < 96:
		english(2 + rng.IntN(6))
		b.WriteString(" " + word(corpusIdents))
		if rng.IntN(3) == 0 {
			fmt.Fprintf(&b, " PR-%d", rng.IntN(5000))
		}
	default:
		b.WriteString(word(corpusPhrases))
	}
	if rng.IntN(10) == 0 {
		b.WriteString(" " + word(corpusEmoji))
	}
	if i%corpusRareEvery == corpusRareEvery/2 {
		b.WriteString(" " + corpusRare[(i/corpusRareEvery)%len(corpusRare)])
	}
	return b.String()
}

// corpus describes a generated database: its rooms (ids 1..rooms), its
// users (ids 1..users; user u is a member of rooms u, u+users, … and of
// every room numbered below fullRooms... see memberOf) and its messages.
type corpus struct {
	messages, rooms, users int
}

// memberRooms lists the rooms user u belongs to: every k-th room for u's
// k (1, 2, 5, 10, 50, 1000: a user in all rooms, in half of them, … in
// one of them), so one corpus serves every breadth of search.
func (c corpus) memberRooms(u int) []int64 {
	step := corpusSteps[(u-1)%len(corpusSteps)]
	var out []int64
	for r := 1 + (u-1)%step; r <= c.rooms; r += step {
		out = append(out, int64(r))
	}
	return out
}

var corpusSteps = []int{1, 2, 5, 10, 50, 1000}

// load fills db (migrated, empty) with the corpus.
func (c corpus) load(t testing.TB, db *DB) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	now := stamp(time.Now())
	rng := rand.New(rand.NewPCG(16, 1))
	zipf := rand.NewZipf(rng, 1.07, 2, uint64(len(corpusEnglish)+len(corpusWork)-1))
	pool, err := db.write.DB()
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := pool.ExecContext(ctx, rebind(db.dialect, q), args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	for u := 1; u <= c.users; u++ {
		exec(`INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, 'x', ?)`, u, fmt.Sprintf("user%d", u), now)
	}
	for r := 1; r <= c.rooms; r++ {
		exec(`INSERT INTO rooms (id, name, owner_id, created_at) VALUES (?, ?, 1, ?)`, r, fmt.Sprintf("room %d", r), now)
	}
	for u := 1; u <= c.users; u++ {
		for _, r := range c.memberRooms(u) {
			exec(`INSERT INTO room_members (room_id, user_id, joined_at) VALUES (?, ?, ?)`, r, u, now)
		}
	}
	seqs := make([]int64, c.rooms+1)
	next := func(i int) (id, room, seq int64, user int, text string) {
		room = int64(1 + rng.IntN(c.rooms))
		seqs[room]++
		return int64(i + 1), room, seqs[room], 1 + rng.IntN(c.users), corpusText(rng, zipf, i)
	}
	if db.dialect == Postgres {
		c.loadPostgres(t, pool, next, now)
	} else {
		c.loadSQLite(t, pool, next, now)
	}
	for r := 1; r <= c.rooms; r++ {
		exec(`UPDATE rooms SET last_seq = ?, msg_count = ? WHERE id = ?`, seqs[r], seqs[r], r)
	}
	exec(`UPDATE search_backlog SET next_id = ?, last_id = ?`, c.messages+1, c.messages)
	if db.dialect == Postgres {
		exec(`SELECT setval('users_id_seq', ?), setval('rooms_id_seq', ?), setval('messages_id_seq', ?)`, c.users, c.rooms, c.messages)
		exec(`VACUUM ANALYZE messages`)
		exec(`VACUUM ANALYZE message_search`)
	} else {
		exec(`ANALYZE`)
	}
	t.Logf("%s: loaded %d messages in %d rooms in %v", db.dialect, c.messages, c.rooms, time.Since(start).Round(time.Second))
}

type corpusNext func(i int) (id, room, seq int64, user int, text string)

// loadPostgres copies the messages and their index rows in, with the
// index's indexes built afterwards (much faster than row by row).
func (c corpus) loadPostgres(t testing.TB, pool *sql.DB, next corpusNext, now time.Time) {
	ctx := context.Background()
	err := pgPipeline(ctx, pool, func(conn *pgx.Conn) error {
		for _, q := range []string{
			`DROP INDEX message_search_body_idx`, `DROP INDEX message_search_tokens_idx`, `DROP INDEX message_search_room_idx`,
		} {
			if _, err := conn.Exec(ctx, q); err != nil {
				return err
			}
		}
		const chunk = 50_000
		for lo := 0; lo < c.messages; lo += chunk {
			var msgs, idx [][]any
			for i := lo; i < min(lo+chunk, c.messages); i++ {
				id, room, seq, user, text := next(i)
				d := indexDoc(Postgres, text)
				msgs = append(msgs, []any{id, room, seq, seq, int64(user), fmt.Sprintf("user%d", user), text, now})
				idx = append(idx, []any{id, room, d.Body, strings.Fields(d.Tokens)})
			}
			if _, err := conn.CopyFrom(ctx, pgx.Identifier{"messages"}, []string{"id", "room_id", "seq", "n", "user_id", "username", "content", "created_at"}, pgx.CopyFromRows(msgs)); err != nil {
				return err
			}
			// tokens arrive as text[]: COPY cannot call array_to_tsvector,
			// so they go through a staging table.
			if _, err := conn.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS corpus_stage (message_id bigint, room_id bigint, body text, tokens text[])`); err != nil {
				return err
			}
			if _, err := conn.CopyFrom(ctx, pgx.Identifier{"corpus_stage"}, []string{"message_id", "room_id", "body", "tokens"}, pgx.CopyFromRows(idx)); err != nil {
				return err
			}
			if _, err := conn.Exec(ctx, `INSERT INTO message_search SELECT message_id, room_id, body, array_to_tsvector(tokens) FROM corpus_stage; TRUNCATE corpus_stage`); err != nil {
				return err
			}
		}
		for _, q := range []string{
			`SET maintenance_work_mem = '512MB'`,
			`CREATE INDEX message_search_body_idx ON message_search USING gin (body gin_trgm_ops)`,
			`CREATE INDEX message_search_tokens_idx ON message_search USING gin (tokens)`,
			`CREATE INDEX message_search_room_idx ON message_search (room_id, message_id)`,
		} {
			if _, err := conn.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("load the corpus: %v", err)
	}
}

// loadSQLite inserts the messages and their FTS rows in transactions of
// 10,000.
func (c corpus) loadSQLite(t testing.TB, pool *sql.DB, next corpusNext, now time.Time) {
	ctx := context.Background()
	const chunk, stmtRows = 10_000, 500
	for lo := 0; lo < c.messages; lo += chunk {
		tx, err := pool.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for s := lo; s < min(lo+chunk, c.messages); s += stmtRows {
			var msgs, index []any
			n := 0
			for i := s; i < min(s+stmtRows, lo+chunk, c.messages); i++ {
				id, room, seq, user, text := next(i)
				d := indexDoc(SQLite, text)
				msgs = append(msgs, id, room, seq, seq, user, fmt.Sprintf("user%d", user), text, now)
				index = append(index, id, d.Body, d.Tokens)
				n++
			}
			for _, st := range []struct {
				q    string
				args []any
			}{
				{`INSERT INTO messages (id, room_id, seq, n, user_id, username, content, created_at) VALUES ` + placeholders(n, 8), msgs},
				{`INSERT INTO message_search (rowid, body, tokens) VALUES ` + placeholders(n, 3), index},
			} {
				if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
					tx.Rollback()
					t.Fatalf("load the corpus: %v", err)
				}
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}
