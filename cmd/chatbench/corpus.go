package main

import (
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The search scenario's corpus: a chat history in English, Russian,
// Chinese, Japanese and engineers' identifiers, with emoji, generated from
// word lists with Zipf-distributed frequencies (a few words everywhere, a
// long tail of rare ones). Message k is a function of the seed and k
// alone, so the filler and the counter of expected hits generate the same
// text independently, in any order, without holding a million messages.
//
// Needles: each search class has a message of its own planted in room 0
// (message j·rooms for class j), so every class has a known hit whatever
// the size; the rare word also turns up at random, about once in
// rareEvery messages.

// The word lists, most frequent first. Entries with a space are phrases
// people type together ("rolling restart"); the stemmer's forms of the
// searched words appear as real chat would inflect them.
var (
	enWords = strings.Fields(`the to i a and is it in we for on that this you be with not
		have can do so but are just at was if what will all deploy think from now need get
		there one new like test check fixed about yes up should out release server when look
		know time make please merge back still how today issue good thanks branch running
		config see also error change review more work failed logs after again before
		tomorrow meeting database migration cluster customer message messages query latency
		ticket staging production rollback patch cache queue worker version update restart
		deployed deploying build builds failing failure runs run search index team weekend
		lunch coffee monday friday docs link screenshot hotfix pipeline dashboard alert
		incident postmortem timeout memory disk cpu network redis postgres sqlite kubernetes
		helm terraform benchmark flaky retry rebase commit tag tests passing green red
		approve approved ship shipped blocked waiting ping later sorry sure great nice
		oops weird works broken slow fast spike graph metrics traces users user login
		password token session socket websocket reconnect resume history unread mention
		reaction thread reply upload file image thumbnail avatar profile settings
		theme dark mode mobile browser firefox chrome safari android ios`)
	enPhrases = []string{"rolling restart", "on call", "pull request", "code review", "load balancer",
		"feature flag", "release notes", "root cause", "stand up", "out of memory"}

	ruWords = strings.Fields(`в и не на я что это с мы по как а да нет уже так все он
		сейчас сервер сервера сервере база базы данных деплой релиз ошибка ошибки ошибку
		сборка сборки тест тесты проверить посмотри завтра сегодня встреча задача задачи
		пользователь пользователи пользователей поиск поиска работает упал починил спасибо
		привет можно нужно надо потом ветка ветку коммит логи логах конфиг кластер очередь
		кэш сообщение обновление версия сообщения версии клиент клиента документация ревью
		запрос запросы сообщений миграция миграции индекс время день неделю хорошо отлично
		понял давай почему сообщением когда где кто только ещё быстро медленно память диск
		сеть падает перезапуск откат прод стенд тикет сообщению дежурство инцидент график
		метрики задержка таймаут скриншот ссылка файл картинка обед кофе пятница
		понедельник выходные`)

	zhWords = strings.Fields(`的 了 是 我 在 不 我们 这个 一下 你 他 有 就 也 都 还 吗 吧
		部署 服务器 数据库 问题 已经 可以 测试 发布 版本 错误 日志 配置 消息 用户 搜索 索引
		今天 明天 会议 代码 分支 合并 修复 上线 回滚 集群 性能 延迟 缓存 队列 请 谢谢 好的
		没有 需要 看看 一起 什么 为什么 怎么 时候 现在 文档 客户 重启 监控 告警 内存 网络
		接口 功能 需求 评审 周末 吃饭 咖啡 登录 密码 文件 图片 链接 截图 线上 环境 流量
		峰值 超时 重试 提交 同步 异步 权限 房间 频道 提醒 通知`)

	jaWords = strings.Fields(`の に は を た が で て と し です ます でした ました ね よ
		デプロイ サーバー データベース エラー ログ 設定 確認 お願いします ありがとう 今日
		明日 会議 テスト リリース バージョン ブランチ マージ 修正 障害 再起動 メッセージ
		ユーザー 検索 インデックス キャッシュ 遅延 対応 完了 すみません 了解 資料 本番 環境
		監視 アラート メモリ ネットワーク 機能 仕様 レビュー 週末 ランチ コーヒー ファイル
		画像 リンク 通知 権限 ルーム 接続 切断 再接続 性能 負荷`)

	identifiers = strings.Fields(`main.go README.md user_id room_id go.mod Makefile p99
		HTTP-503 x-request-id DATABASE_URL docker-compose.yml JWT_SECRET v1.2.3 getUserById
		/var/log/chatd.log deploy_config.yaml HttpServerConfig MessageStore SearchIndex
		kubectl-apply pg_trgm fts5 redeployed pre-deploy deployment.yaml helm-upgrade
		terraform-plan git-rebase npm-run-build kubectl v2.0.0-rc1 0xdeadbeef ERR_CONN_RESET
		ECONNREFUSED NullPointerException parse_json_body api/v1/rooms chat-server-7f9c4
		us-east-1 pod/chatd-0 kubectl-rollout CHANGELOG.md .ci/run sqlite_fts5 GOMAXPROCS
		pprof goroutine WAL fsync`)

	emoji = []string{"👍", "🎉", "😂", "🙏", "🔥", "👀", "✅", "❤️", "🚀", "😅", "🤔", "💯", "🐛",
		"⚠️", "👨‍💻", "👍🏽", "🙈", "☕", "🍕", "😭"}
)

// corpus is the generated history: messages of it, over rooms, sent in
// turns by senders.
type corpus struct {
	seed     uint64
	messages int
	rooms    int
	senders  int
}

// corpusMessage is message k of a corpus: to room index Room (k mod
// rooms), from sender index Sender, and its Planted class (-1 for none).
type corpusMessage struct {
	Room, Sender int
	Content      string
	Planted      int
}

// The mix of messages, in percent; the rest are technical: English with
// about half its words identifiers.
const (
	shareEmoji    = 2 // emoji alone
	shareEnglish  = 38
	shareRussian  = 24
	shareChinese  = 14
	shareJapanese = 12
	corpusMix     = "2 % emoji alone, 38 % English (one in 8 with a phrase, one in 8 with an identifier), 24 % Russian (one in 8 with an identifier), 14 % Chinese, 12 % Japanese, 10 % technical (English, about half its words identifiers); one in 8 messages ends in emoji; one in 5,000 carries the rare word"
)

// rareEvery: about one message in rareEvery carries the rare class's word.
const rareEvery = 5000

// planted is the index of the search class whose needle message k is, or -1.
func (c corpus) planted(k int) int {
	if k%c.rooms != 0 || k/c.rooms >= len(searchClasses) {
		return -1
	}
	return k / c.rooms
}

// message generates message k.
func (c corpus) message(k int) corpusMessage {
	room, round := k%c.rooms, k/c.rooms
	m := corpusMessage{Room: room, Sender: round % c.senders, Planted: c.planted(k)}
	if m.Planted >= 0 {
		m.Content = searchClasses[m.Planted].Needle
		return m
	}
	rnd := rand.New(rand.NewPCG(c.seed, uint64(k)))
	m.Content = generate(rnd)
	return m
}

// generate writes one message: a base language, a length with a long
// tail, words drawn by Zipf from that language's list, identifiers in
// English, Russian and technical messages, and sometimes emoji.
func generate(rnd *rand.Rand) string {
	n := 1 + rnd.IntN(6) + rnd.IntN(6)
	if rnd.IntN(10) == 0 {
		n += rnd.IntN(40) // a few long messages
	}
	var words []string
	spaced := true
	switch p := rnd.IntN(100); {
	case p < shareEmoji: // emoji alone, as a quick answer
		return pick(rnd, emoji, 1.3)
	case p < shareEmoji+shareEnglish:
		words = draw(rnd, n, enWords, 1.1)
		words = sprinkle(rnd, words, 12, enPhrases)
		words = sprinkle(rnd, words, 12, identifiers)
		if rnd.IntN(3) == 0 {
			words[0] = capitalize(words[0])
		}
	case p < shareEmoji+shareEnglish+shareRussian:
		words = draw(rnd, n, ruWords, 1.1)
		words = sprinkle(rnd, words, 12, identifiers)
	case p < shareEmoji+shareEnglish+shareRussian+shareChinese:
		words, spaced = draw(rnd, n, zhWords, 1.1), false
	case p < shareEmoji+shareEnglish+shareRussian+shareChinese+shareJapanese:
		words, spaced = draw(rnd, n, jaWords, 1.1), false
	default: // technical: half identifiers
		words = draw(rnd, n, enWords, 1.1)
		for i := range words {
			if rnd.IntN(2) == 0 {
				words[i] = pick(rnd, identifiers, 1.05)
			}
		}
	}
	if rnd.IntN(rareEvery) == 0 {
		i := rnd.IntN(len(words) + 1)
		words = append(words[:i], append([]string{"xylophone"}, words[i:]...)...)
	}
	var b strings.Builder
	for i, w := range words {
		if i > 0 && (spaced || !cjkText(words[i-1]) || !cjkText(w)) {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	if !spaced && rnd.IntN(2) == 0 {
		b.WriteString("。")
	}
	if rnd.IntN(8) == 0 {
		for range 1 + rnd.IntN(3) {
			b.WriteByte(' ')
			b.WriteString(pick(rnd, emoji, 1.3))
		}
	}
	return b.String()
}

// draw picks n words of list by Zipf with exponent s.
func draw(rnd *rand.Rand, n int, list []string, s float64) []string {
	z := rand.NewZipf(rnd, s, 2, uint64(len(list)-1))
	out := make([]string, n)
	for i := range out {
		out[i] = list[z.Uint64()]
	}
	return out
}

func pick(rnd *rand.Rand, list []string, s float64) string { return draw(rnd, 1, list, s)[0] }

// sprinkle replaces one word of words by one of list in pct % of messages.
func sprinkle(rnd *rand.Rand, words []string, pct int, list []string) []string {
	if rnd.IntN(100) < pct {
		words[rnd.IntN(len(words))] = pick(rnd, list, 1.05)
	}
	return words
}

func capitalize(w string) string {
	r, n := utf8.DecodeRuneInString(w)
	return string(unicode.ToUpper(r)) + w[n:]
}

// cjkText reports whether w starts with a Han, Hiragana or Katakana
// character: such words are written without spaces between them.
func cjkText(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// searchClass is one kind of query the search scenario measures: the text
// typed into q=, and what it matches as chatd defines it — every term
// matches when the folded text (lower case) contains one of the term's
// forms: the word as typed and its English and Russian Snowball stems
// (adapters/textindex). Forms shorter than three characters match whole
// tokens there; the ones here are all substrings or, for CJK pairs and an
// emoji, tokens wherever they occur, so a substring test counts them
// exactly.
type searchClass struct {
	Name   string
	What   string // for the report
	Query  string
	Forms  [][]string // per term
	Needle string     // the message planted for this class in room 0
}

var searchClasses = []searchClass{
	{"common", "common English word", "deploy", [][]string{{"deploy"}}, "deploy is done, please check"},
	{"rare", "rare English word", "xylophone", [][]string{{"xylophone", "xylophon"}}, "who left a xylophone in the office?"},
	{"ru_form", "Russian word form", "сообщение", [][]string{{"сообщение", "сообщен"}}, "все сообщения доставлены"},
	{"zh", "Chinese word", "部署", [][]string{{"部署"}}, "部署完成了，请检查"},
	{"ja", "Japanese word", "デプロイ", [][]string{{"デプロイ"}}, "デプロイしました。確認お願いします"},
	{"ident", "part of an identifier", "kubectl", [][]string{{"kubectl"}}, "ran kubectl-apply on staging"},
	{"phrase", "quoted phrase", `"rolling restart"`, [][]string{{"rolling restart"}}, "rolling restart of the cluster at noon"},
	{"and", "two words (AND)", "build failed", [][]string{{"build"}, {"failed", "fail"}}, "the build failed again"},
	{"emoji", "emoji", "🚀", [][]string{{"🚀"}}, "shipped 🚀"},
}

// matches reports whether content matches every term of forms.
func matches(content string, forms [][]string) bool {
	folded := strings.ToLower(content)
	for _, term := range forms {
		hit := false
		for _, f := range term {
			if strings.Contains(folded, f) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

// expected is how many messages of a corpus each search class finds: in
// all rooms and in room 0.
type expected struct{ All, Room0 int }

// expect counts the hits of every class by generating the whole corpus,
// on every core.
func (c corpus) expect(classes []searchClass) []expected {
	workers := runtime.NumCPU()
	parts := make([][]expected, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			out := make([]expected, len(classes))
			for k := w; k < c.messages; k += workers {
				m := c.message(k)
				for i, cl := range classes {
					if matches(m.Content, cl.Forms) {
						out[i].All++
						if m.Room == 0 {
							out[i].Room0++
						}
					}
				}
			}
			parts[w] = out
		})
	}
	wg.Wait()
	total := make([]expected, len(classes))
	for _, p := range parts {
		for i, e := range p {
			total[i].All += e.All
			total[i].Room0 += e.Room0
		}
	}
	return total
}
