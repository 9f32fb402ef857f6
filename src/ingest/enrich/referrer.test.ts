import { describe, expect, it } from 'vitest';
import { channel, knownSource, referrerInfo, sourceForHost } from './referrer.js';

type Info = { referrer: string | null; source: string | null };
const r = (referrer: string | null, source: string | null): Info => ({ referrer, source });

describe('referrerInfo: referrer and source from the referrer URL', () => {
  it.each<[string | null, string, Info]>([
    [null, 'example.com', r(null, null)],
    ['', 'example.com', r(null, null)],
    ['   ', 'example.com', r(null, null)],
    ['https://www.google.com/', 'example.com', r('google.com', 'Google')],
    ['https://www.google.co.uk/', 'example.com', r('google.co.uk', 'Google')],
    ['https://google.de/search?q=ducks', 'example.com', r('google.de/search', 'Google')],
    ['https://www.google.com.au/', 'example.com', r('google.com.au', 'Google')],
    ['https://mail.google.com/mail/u/0/', 'example.com', r('mail.google.com/mail/u/0', 'Gmail')],
    ['https://www.bing.com/search?q=ducks', 'example.com', r('bing.com/search', 'Bing')],
    ['https://duckduckgo.com/', 'example.com', r('duckduckgo.com', 'DuckDuckGo')],
    ['https://search.yahoo.com/search?p=x', 'example.com', r('search.yahoo.com/search', 'Yahoo')],
    ['https://yandex.ru/search/?text=x', 'example.com', r('yandex.ru/search', 'Yandex')],
    ['https://www.baidu.com/link?url=x', 'example.com', r('baidu.com/link', 'Baidu')],
    ['https://www.ecosia.org/search?q=x', 'example.com', r('ecosia.org/search', 'Ecosia')],
    ['https://search.brave.com/search?q=x', 'example.com', r('search.brave.com/search', 'Brave Search')],
    ['https://l.facebook.com/l.php?u=x', 'example.com', r('l.facebook.com/l.php', 'Facebook')],
    ['https://lm.facebook.com/', 'example.com', r('lm.facebook.com', 'Facebook')],
    ['https://m.facebook.com/', 'example.com', r('m.facebook.com', 'Facebook')],
    ['https://www.instagram.com/', 'example.com', r('instagram.com', 'Instagram')],
    ['https://t.co/abc123', 'example.com', r('t.co/abc123', 'Twitter')],
    ['https://x.com/someone/status/1', 'example.com', r('x.com/someone/status/1', 'Twitter')],
    ['https://twitter.com/', 'example.com', r('twitter.com', 'Twitter')],
    ['https://old.reddit.com/r/node/comments/1/', 'example.com', r('old.reddit.com/r/node/comments/1', 'Reddit')],
    ['https://out.reddit.com/t3_x', 'example.com', r('out.reddit.com/t3_x', 'Reddit')],
    ['https://www.linkedin.com/feed/', 'example.com', r('linkedin.com/feed', 'LinkedIn')],
    ['https://lnkd.in/abc', 'example.com', r('lnkd.in/abc', 'LinkedIn')],
    ['https://news.ycombinator.com/item?id=123', 'example.com', r('news.ycombinator.com/item', 'Hacker News')],
    ['https://github.com/owner/repo', 'example.com', r('github.com/owner/repo', 'GitHub')],
    ['https://m.youtube.com/watch?v=1', 'example.com', r('m.youtube.com/watch', 'YouTube')],
    ['https://youtu.be/abc', 'example.com', r('youtu.be/abc', 'YouTube')],
    ['https://www.pinterest.co.uk/pin/1/', 'example.com', r('pinterest.co.uk/pin/1', 'Pinterest')],
    ['https://www.tiktok.com/', 'example.com', r('tiktok.com', 'TikTok')],
    ['https://www.producthunt.com/posts/x', 'example.com', r('producthunt.com/posts/x', 'Product Hunt')],
    ['https://stackoverflow.com/questions/1', 'example.com', r('stackoverflow.com/questions/1', 'Stack Overflow')],
    ['https://en.wikipedia.org/wiki/Duck', 'example.com', r('en.wikipedia.org/wiki/Duck', 'Wikipedia')],
    ['https://en.m.wikipedia.org/wiki/Duck', 'example.com', r('en.m.wikipedia.org/wiki/Duck', 'Wikipedia')],
    ['https://chatgpt.com/', 'example.com', r('chatgpt.com', 'ChatGPT')],
    ['https://chat.openai.com/', 'example.com', r('chat.openai.com', 'ChatGPT')],
    ['https://www.perplexity.ai/', 'example.com', r('perplexity.ai', 'Perplexity')],
    ['https://outlook.live.com/mail/0/', 'example.com', r('outlook.live.com/mail/0', 'Outlook')],
    ['https://mail.yahoo.com/d/folders/1', 'example.com', r('mail.yahoo.com/d/folders/1', 'Yahoo Mail')],
    ['https://app.slack.com/client/T1', 'example.com', r('app.slack.com/client/T1', 'Slack')],
    ['https://discord.com/channels/1', 'example.com', r('discord.com/channels/1', 'Discord')],
    ['https://t.me/somechannel', 'example.com', r('t.me/somechannel', 'Telegram')],
    ['https://web.whatsapp.com/', 'example.com', r('web.whatsapp.com', 'WhatsApp')],
    ['https://medium.com/@me/post', 'example.com', r('medium.com/@me/post', 'Medium')],
    ['https://substack.com/home', 'example.com', r('substack.com/home', 'Substack')],
    ['https://someone.substack.com/p/post', 'example.com', r('someone.substack.com/p/post', 'someone.substack.com')],
    ['https://bsky.app/profile/x', 'example.com', r('bsky.app/profile/x', 'Bluesky')],
    ['https://www.threads.net/@x', 'example.com', r('threads.net/@x', 'Threads')],
    // unknown hosts: the host without www.
    ['https://blog.example.org/posts/1?x=y#frag', 'example.com', r('blog.example.org/posts/1', 'blog.example.org')],
    ['https://www.someblog.com/', 'example.com', r('someblog.com', 'someblog.com')],
    ['https://WWW.SomeBlog.COM/Path/', 'example.com', r('someblog.com/Path', 'someblog.com')],
    ['https://someblog.com/caf%C3%A9', 'example.com', r('someblog.com/café', 'someblog.com')],
    ['http://localhost:3000/x', 'example.com', r('localhost/x', 'localhost')],
    ['https://notgoogle.com/', 'example.com', r('notgoogle.com', 'notgoogle.com')],
    // the page's own host is not a referrer
    ['https://example.com/other', 'example.com', r(null, null)],
    ['https://www.example.com/x', 'example.com', r(null, null)],
    ['https://example.com/', 'www.example.com', r(null, null)],
    ['https://EXAMPLE.com/', 'example.com', r(null, null)],
    ['https://docs.example.com/', 'example.com', r('docs.example.com', 'docs.example.com')],
    // unusable referrers
    ['not a url', 'example.com', r(null, null)],
    ['android-app://com.google.android.gm/', 'example.com', r(null, null)],
    ['ftp://files.example.org/', 'example.com', r(null, null)],
  ])('%s on %s → %j', (referrer, page, expected) => {
    expect(referrerInfo(referrer, page, null)).toEqual(expected);
  });
});

describe('referrerInfo: utm_source wins over the referrer', () => {
  it.each<[string | null, string, Info]>([
    [null, 'newsletter', r(null, 'newsletter')],
    [null, '  spring-mail ', r(null, 'spring-mail')],
    [null, 'google', r(null, 'Google')],
    [null, 'GOOGLE', r(null, 'Google')],
    [null, 'fb', r(null, 'Facebook')],
    [null, 'facebook', r(null, 'Facebook')],
    [null, 'ig', r(null, 'Instagram')],
    [null, 'hn', r(null, 'Hacker News')],
    [null, 'Hacker News', r(null, 'Hacker News')],
    [null, 'hackernews', r(null, 'Hacker News')],
    [null, 'x', r(null, 'Twitter')],
    [null, 'twitter', r(null, 'Twitter')],
    [null, 'reddit.com', r(null, 'Reddit')],
    [null, 'chatgpt.com', r(null, 'ChatGPT')],
    [null, 'www.linkedin.com', r(null, 'LinkedIn')],
    [null, 'Google Ads', r(null, 'Google Ads')],
    [null, 'producthunt', r(null, 'Product Hunt')],
    ['https://www.google.com/', 'fb', r('google.com', 'Facebook')],
    ['https://www.google.com/', '', r('google.com', 'Google')],
    ['https://www.google.com/', '   ', r('google.com', 'Google')],
    ['https://example.com/a', 'newsletter', r(null, 'newsletter')],
  ])('referrer %s, utm_source %j → %j', (referrer, utm, expected) => {
    expect(referrerInfo(referrer, 'example.com', utm)).toEqual(expected);
  });
});

describe('sourceForHost / knownSource', () => {
  it.each<[string, string | null]>([
    ['google.com', 'Google'],
    ['www.google.fr', 'Google'],
    ['news.google.co.jp', 'Google'],
    ['mail.google.com', 'Gmail'],
    ['yahoo.co.jp', 'Yahoo'],
    ['mail.yahoo.com', 'Yahoo Mail'],
    ['substack.com', 'Substack'],
    ['someone.substack.com', null],
    ['google.example.com', null],
    ['example.com', null],
  ])('host %s → %s', (host, name) => {
    expect(sourceForHost(host)?.name ?? null).toBe(name);
  });

  it.each<[string, string | null]>([
    ['Google', 'Google'],
    ['brave', 'Brave Search'],
    ['Brave Search', 'Brave Search'],
    ['yt', 'YouTube'],
    ['', null],
    ['newsletter', null],
  ])('name %j → %s', (source, name) => {
    expect(knownSource(source)?.name ?? null).toBe(name);
  });
});

describe('channel', () => {
  it.each<[string | null, string | null, string | null, string]>([
    [null, null, null, 'Direct'],
    ['(direct)', '(none)', null, 'Direct'],
    ['  ', '', null, 'Direct'],
    ['partner', 'cpc', 'cross-network-q1', 'Cross-network'],
    ['Amazon', 'cpc', null, 'Paid Shopping'],
    ['someshop.com', 'cpc', 'summer-shopping', 'Paid Shopping'],
    ['Google', 'cpc', null, 'Paid Search'],
    ['google', 'ppc', null, 'Paid Search'],
    ['Bing', 'paidsearch', null, 'Paid Search'],
    ['Google', 'cpm', null, 'Paid Search'],
    ['Facebook', 'cpc', null, 'Paid Social'],
    ['fb', 'paid_social', null, 'Paid Social'],
    ['Twitter', 'retargeting', null, 'Paid Social'],
    ['YouTube', 'cpv', null, 'Paid Video'],
    ['criteo', 'display', null, 'Display'],
    ['ads.example', 'CPM', null, 'Display'],
    ['ads.example', 'banner', null, 'Display'],
    [null, 'cpc', null, 'Paid Other'],
    ['bigads', 'paid', null, 'Paid Other'],
    ['Amazon', null, null, 'Organic Shopping'],
    ['partner.com', null, 'shop-now', 'Organic Shopping'],
    ['partner.com', null, 'workshop', 'Referral'],
    ['Facebook', null, null, 'Organic Social'],
    ['Hacker News', null, null, 'Organic Social'],
    ['news.ycombinator.com', null, null, 'Organic Social'],
    ['mastodon.social', 'social', null, 'Organic Social'],
    ['Reddit', 'Social', null, 'Organic Social'],
    ['Facebook', 'referral', null, 'Organic Social'],
    ['YouTube', null, null, 'Organic Video'],
    ['somesite.com', 'video', null, 'Organic Video'],
    ['Google', null, null, 'Organic Search'],
    ['DuckDuckGo', null, null, 'Organic Search'],
    ['Bing', 'organic', null, 'Organic Search'],
    ['newsletter-x', 'organic', null, 'Organic Search'],
    ['partner.com', 'referral', null, 'Referral'],
    ['someblog.com', null, null, 'Referral'],
    ['GitHub', null, null, 'Referral'],
    ['ChatGPT', null, null, 'Referral'],
    ['newsletter', 'email', null, 'Email'],
    ['email', null, null, 'Email'],
    ['Gmail', null, null, 'Email'],
    ['Outlook', 'E-Mail', null, 'Email'],
    [null, 'e_mail', null, 'Email'],
    ['partner.com', 'affiliate', null, 'Affiliates'],
    ['spotify-ads', 'audio', null, 'Audio'],
    ['sms', null, null, 'SMS'],
    ['twilio', 'sms', null, 'SMS'],
    ['firebase', null, null, 'Mobile Push Notifications'],
    ['myapp', 'web-push', null, 'Mobile Push Notifications'],
    ['myapp', 'notification', null, 'Mobile Push Notifications'],
    [null, 'newsletter', null, 'Referral'],
  ])('source %s, medium %s, campaign %s → %s', (source, medium, campaign, expected) => {
    expect(channel(source, medium, campaign)).toBe(expected);
  });
});
