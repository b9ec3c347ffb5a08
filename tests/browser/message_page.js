/*
 * message_page.js: conf/html/message.html in a real browser (issue 11,
 * "The page"): headless Debian chromium driven by playwright-core (from
 * tests/npm_deps.sh), against the running stack through nginx.
 *
 * tests/integ/test_browser.c makes the data (users A, B and C, a blog of
 * A liked by C, so A has one unread notification) and runs this script
 * with, in the environment:
 *   HMDP_URL             the stack's nginx (http://127.0.0.1:port)
 *   A_TOKEN A_ID         the user whose page is opened
 *   B_TOKEN B_ID B_NICK  the second user, who likes and chats live
 *   C_NICK               the nickname of the earlier liker
 *   BLOG_ID              A's blog
 *   HMDP_RUN_DIR         the stack's run dir (hmdp-sse.pid: the gateway's
 *                        multiwatch)
 *   CHROMIUM             the browser (default /usr/bin/chromium)
 * Each step prints "ok - ..." or "not ok - ..." (with what was seen);
 * the closing line is "N passed, N failed", exit 1 on any failure.
 *
 * The token goes into sessionStorage under "token", where the original
 * login page puts it and where message.html reads it. The browser runs
 * with a fresh profile and every background fetch off: this machine's
 * network is closed, and nothing but the stack may be asked.
 */
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const env = (k) => {
    const v = process.env[k];
    if (!v) {
        console.log(`not ok - environment variable ${k} is not set`);
        console.log("0 passed, 1 failed");
        process.exit(1);
    }
    return v;
};
const BASE = env("HMDP_URL").replace(/\/$/, "");
const A = { token: env("A_TOKEN"), id: Number(env("A_ID")) };
const B = { token: env("B_TOKEN"), id: Number(env("B_ID")), nick: env("B_NICK") };
const C_NICK = env("C_NICK");
const BLOG = Number(env("BLOG_ID"));
const RUN_DIR = env("HMDP_RUN_DIR");
const WAIT = 10000; /* ms a live event may take to show */

let pass = 0, fail = 0;
function check(name, cond, seen) {
    if (cond) {
        pass++;
        console.log(`ok - ${name}`);
    } else {
        fail++;
        console.log(`not ok - ${name}` + (seen !== undefined ? ` (saw: ${JSON.stringify(seen)})` : ""));
    }
    return cond;
}

/* The API as a second client: the envelope's data, or throws. */
async function api(method, p, token, body) {
    const opt = { method, headers: { authorization: token } };
    if (body !== undefined) {
        opt.headers["Content-Type"] = "application/json";
        opt.body = JSON.stringify(body);
    }
    const r = await fetch(BASE + "/api" + p, opt);
    const env = await r.json();
    if (r.status !== 200 || !env.success)
        throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(env)}`);
    return env.data;
}

/* The live children of pid (from /proc). */
function childrenOf(pid) {
    const out = [];
    for (const d of fs.readdirSync("/proc")) {
        if (!/^[0-9]+$/.test(d)) continue;
        let st;
        try { st = fs.readFileSync(`/proc/${d}/stat`, "utf8"); } catch (e) { continue; }
        const f = st.slice(st.lastIndexOf(")") + 2).split(" "); /* state ppid ... */
        if (Number(f[1]) === pid && f[0] !== "Z") out.push(Number(d));
    }
    return out;
}

/* The text as the server stores it (app/core/str.c, DECISIONS). */
const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&#34;").replace(/'/g, "&#39;");

/* Waits until fn() (run in the page) is truthy; returns its last value. */
async function until(page, fn, arg) {
    try {
        const h = await page.waitForFunction(fn, arg, { timeout: WAIT, polling: 100 });
        return await h.jsonValue();
    } catch (e) {
        return null;
    }
}

const unread = (page) => page.textContent("#unread").catch(() => null);
const items = (page) =>
    page.$$eval("#list .item", (els) =>
        els.map((e) => ({
            who: e.querySelector(".who").textContent,
            what: e.querySelector(".what").textContent,
            unread: e.classList.contains("unread"),
        })));
const msgs = (page) =>
    page.$$eval("#msgs .msg", (els) =>
        els.map((e) => ({ text: e.firstChild ? e.firstChild.textContent : "", mine: e.classList.contains("mine") })));

async function main() {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), "hmdp-chromium-"));
    const ctx = await chromium.launchPersistentContext(profile, {
        executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
        headless: true,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const outside = []; /* any request not to the stack */
    const errors = []; /* uncaught page errors */
    try {
        ctx.on("request", (rq) => {
            if (!rq.url().startsWith(BASE + "/") && !rq.url().startsWith("data:")) outside.push(rq.url());
        });

        /* ---- anonymous -> login.html */
        const anon = await ctx.newPage();
        anon.on("pageerror", (e) => errors.push(String(e)));
        await anon.goto(BASE + "/message.html");
        await anon.waitForURL(/\/login\.html$/, { timeout: WAIT }).catch(() => {});
        check("anonymous: message.html sends to login.html", /\/login\.html$/.test(anon.url()), anon.url());
        await anon.close();

        /* ---- A logged in: the token where the login page keeps it */
        await ctx.addInitScript((t) => sessionStorage.setItem("token", t), A.token);
        const page = await ctx.newPage();
        page.on("pageerror", (e) => errors.push(String(e)));
        const resp = await page.goto(BASE + "/message.html");
        check("message.html is served by nginx (200, text/html)",
            resp && resp.status() === 200 && /text\/html/.test(resp.headers()["content-type"] || ""),
            resp && [resp.status(), resp.headers()["content-type"]]);
        const bg = await page.$eval(".header", (e) => getComputedStyle(e).backgroundColor);
        const foot = await page.$$eval(".foot a", (els) => els.length);
        check("the original look: orange #ff6633 header and the footer bar",
            bg === "rgb(255, 102, 51)" && foot >= 4, [bg, foot]);

        let n = await until(page, () => document.getElementById("unread").textContent === "1" &&
            document.querySelectorAll("#list .item").length === 1 &&
            document.getElementById("state").textContent === "实时");
        check("the unread count (1), C's like in the history, the stream open",
            n !== null, [await unread(page), await items(page),
                await page.textContent("#state")]);
        let it = await items(page);
        check("the history item: C, a like, unread",
            it.length === 1 && it[0].who === C_NICK && /点赞/.test(it[0].what) && it[0].unread, it);

        /* ---- B likes A's blog: live on top, count 2 */
        const t0 = Date.now();
        await api("PUT", `/blog/like/${BLOG}`, B.token);
        n = await until(page, (nick) => {
            const li = document.querySelector("#list .item");
            return li && li.querySelector(".who").textContent === nick &&
                document.getElementById("unread").textContent === "2";
        }, B.nick);
        it = await items(page);
        check(`B's like appears live on top (${Date.now() - t0} ms), unread 2`,
            n !== null && it.length === 2 && /点赞/.test(it[0].what) && it[0].unread &&
            it[1].who === C_NICK, [await unread(page), it]);

        /* ---- the gateway dies and stays down long enough for the browser
         * to give up on its stream (nginx answers 502); B follows A
         * meanwhile; when the gateway is back the page opens a new stream
         * from its cursor and shows the follow, once */
        const mw = Number(fs.readFileSync(path.join(RUN_DIR, "hmdp-sse.pid"), "utf8"));
        const gws = childrenOf(mw);
        let stopped = false;
        try {
            process.kill(mw, "SIGSTOP"); /* no restart yet */
            stopped = true;
            gws.forEach((p) => process.kill(p, "SIGKILL"));
            await api("PUT", `/follow/${A.id}/true`, B.token);
            n = await until(page, () => document.getElementById("state").textContent === "已断开");
            check(`the gateway (pid ${gws.join(",")}) killed: the page says its stream ended`,
                gws.length > 0 && n !== null, [gws, await page.textContent("#state")]);
        } finally {
            if (stopped) process.kill(mw, "SIGCONT");
        }
        n = await until(page, (nick) => {
            const li = document.querySelector("#list .item");
            return li && li.querySelector(".who").textContent === nick &&
                /关注/.test(li.querySelector(".what").textContent) &&
                document.getElementById("unread").textContent === "3" &&
                document.getElementById("state").textContent === "实时";
        }, B.nick);
        it = await items(page);
        check("restarted: a new stream, B's follow on top (sent while it was down), unread 3, nothing twice",
            n !== null && it.length === 3 && it[1].who === B.nick && /点赞/.test(it[1].what) &&
            it[2].who === C_NICK, [await unread(page), await page.textContent("#state"), it]);

        /* ---- the chat view with B: B's message live, A's reply sent */
        await page.goto(BASE + `/message.html?chat=${B.id}`);
        n = await until(page, (nick) =>
            document.getElementById("chat").style.display === "block" &&
            document.getElementById("title").textContent === nick &&
            document.getElementById("state").textContent === "实时", B.nick);
        check("?chat=B opens the chat view titled with B's nickname, stream open", n !== null,
            [await page.textContent("#title"), await page.textContent("#state")]);
        const hello = "你好 <b>A</b> & 'x' \"y\" &lt; " + Date.now();
        const t1 = Date.now();
        await api("POST", `/message/chat/${A.id}`, B.token, { content: hello });
        n = await until(page, (txt) => Array.prototype.some.call(document.querySelectorAll("#msgs .msg"),
            (e) => e.firstChild && e.firstChild.textContent === txt), hello);
        let ms = await msgs(page);
        check(`B's chat message appears live (${Date.now() - t1} ms), as text, not mine`,
            n !== null && ms.length === 1 && ms[0].text === hello && !ms[0].mine &&
            (await page.$$("#msgs .msg b")).length === 0, ms);

        const reply = "回复 <i>ok</i> & " + Date.now();
        await page.fill("#sendText", reply);
        await page.click("#sendForm button");
        n = await until(page, (txt) => {
            const all = document.querySelectorAll("#msgs .msg.mine");
            return all.length === 1 && all[0].firstChild.textContent === txt &&
                document.getElementById("sendText").value === "";
        }, reply);
        check("A's reply from the send box shows as mine, the box is emptied", n !== null, await msgs(page));
        let conv = null;
        for (let i = 0; i < 50; i++) {
            conv = await api("GET", `/message/chat/${A.id}`, B.token);
            if (conv.length === 2) break;
            await new Promise((r) => setTimeout(r, 100));
        }
        check("B's conversation with A has both messages, newest first",
            conv.length === 2 && conv[0].content === esc(reply) && conv[0].from === A.id &&
            conv[1].content === esc(hello) && conv[1].from === B.id, conv);

        /* ---- reload: both in the history */
        await page.reload();
        n = await until(page, () => document.querySelectorAll("#msgs .msg").length === 2);
        ms = await msgs(page);
        check("after a reload the chat history shows both, oldest first",
            n !== null && ms[0].text === hello && !ms[0].mine && ms[1].text === reply && ms[1].mine, ms);

        await page.goto(BASE + "/message.html");
        n = await until(page, () => document.querySelectorAll("#list .item").length === 3 &&
            document.getElementById("unread").textContent === "3");
        it = await items(page);
        check("after a reload the notification history shows all three (B's follow, B's like, C's like), unread 3",
            n !== null && /关注/.test(it[0].what) && it[0].who === B.nick && /点赞/.test(it[1].what) &&
            it[1].who === B.nick && it[2].who === C_NICK && it.every((x) => x.unread),
            [await unread(page), it]);

        /* ---- mark all read, and it stays read */
        await page.click("#readAll");
        n = await until(page, () => document.getElementById("unread").textContent === "0" &&
            document.querySelectorAll("#list .item.unread").length === 0);
        check("全部已读: unread 0, no item marked unread", n !== null, [await unread(page), await items(page)]);
        const cnt = await api("GET", "/message/unread/count", A.token);
        /* the page knows the server's time to the second (Date): the
         * chats above are then surely older than the reloaded page */
        await new Promise((r) => setTimeout(r, 1100));
        await page.reload();
        n = await until(page, () => document.querySelectorAll("#list .item").length === 3 &&
            document.getElementById("unread").textContent === "0");
        check("the server agrees (unread count 0) and a reload shows them read",
            cnt === 0 && n !== null && (await items(page)).every((x) => !x.unread), [cnt, await items(page)]);

        /* ---- chats on the notification view: an old one (replayed by the
         * stream after the newest notification) is quiet, a new one
         * says who wrote */
        await until(page, () => document.getElementById("state").textContent === "实时");
        await new Promise((r) => setTimeout(r, 1000));
        const quiet = await page.$eval("#toast", (e) => e.style.display !== "block");
        await api("POST", `/message/chat/${A.id}`, B.token, { content: "在吗" });
        n = await until(page, (nick) => document.getElementById("toast").style.display === "block" &&
            document.getElementById("toast").textContent === nick + " 发来私信", B.nick);
        check("an earlier chat replayed on reload is not announced; a new one is (toast)",
            quiet && n !== null, [quiet, await page.textContent("#toast")]);

        check("nothing fetched from outside the stack", outside.length === 0, outside);
        check("no script errors in the page", errors.length === 0, errors);
        if (process.env.MESSAGE_PAGE_SHOTS) { /* a look for people */
            await page.screenshot({ path: path.join(process.env.MESSAGE_PAGE_SHOTS, "notes.png") });
            await page.goto(BASE + `/message.html?chat=${B.id}`);
            await until(page, () => document.querySelectorAll("#msgs .msg").length === 2);
            await page.screenshot({ path: path.join(process.env.MESSAGE_PAGE_SHOTS, "chat.png") });
        }
    } finally {
        await ctx.close().catch(() => {});
        fs.rmSync(profile, { recursive: true, force: true });
    }
}

main().then(() => {
    console.log(`${pass} passed, ${fail} failed`);
    process.exit(fail ? 1 : 0);
}, (e) => {
    console.log(`not ok - the browser run stopped: ${e && e.stack ? e.stack : e}`);
    console.log(`${pass} passed, ${fail + 1} failed`);
    process.exit(1);
});
