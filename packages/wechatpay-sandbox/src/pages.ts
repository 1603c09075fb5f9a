import type { Router } from 'express';
import { isTrustedOrigin, type AppContext } from './app.js';
import { refundBody, transactionBody } from './core.js';
import type { NotificationRecord } from './store.js';
import type { ShippingView } from './wxa.js';

/** The name the pay sheet shows as the payee (WeChat shows the merchant's short name). */
export const SANDBOX_MERCHANT_NAME = 'uni-checkout 沙箱商户';

const esc = (v: unknown) =>
  String(v ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
/** JSON safe to place inside a <script> element. */
const scriptJson = (v: unknown) =>
  JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

function notificationView(n: NotificationRecord) {
  return {
    id: n.id,
    event_type: n.eventType,
    summary: n.summary,
    notify_url: n.notifyUrl,
    out_trade_no: n.outTradeNo,
    ...(n.outRefundNo ? { out_refund_no: n.outRefundNo } : {}),
    state: n.state,
    created_at: new Date(n.createdAt).toISOString(),
    resource: n.resource,
    attempts: n.attempts,
  };
}

export function mountPages(r: Router, ctx: AppContext): void {
  const { store } = ctx;
  const transactions = (): Array<Record<string, unknown>> =>
    [...store.transactions.values()].map((t) => ({
      ...transactionBody(t),
      ...(t.billOnly ? { bill_only: true } : {}),
      prepay_id: t.prepayId,
      description: t.request.description,
      notify_url: t.request.notify_url,
      // 发货信息管理: only paid transactions are in it
      ...(t.transactionId !== null && !t.billOnly ? { shipping: ctx.wxa.view(t) } : {}),
    }));
  const refunds = () =>
    [...store.refunds.values()].map((rf) =>
      refundBody(
        rf,
        [...store.transactions.values()].find((t) => t.request.out_trade_no === rf.outTradeNo)!,
      ),
    );

  r.get('/api/transactions', (_req, res) => void res.json({ items: transactions() }));
  r.get('/api/refunds', (_req, res) => void res.json({ items: refunds() }));
  r.get('/api/notifications', (_req, res) => void res.json({ items: store.notifications.map(notificationView) }));

  r.get('/', (_req, res) => {
    const c = ctx.identity.credentials;
    const txRows = transactions()
      .reverse()
      .map((t) => {
        const amount = t.amount as { total: number };
        const sh = t.shipping as ShippingView | undefined;
        const company = sh?.last_upload?.shipping_list[0];
        const shipCell = sh
          ? `<span class="st st-ship${sh.order_state}" data-testid="sandbox-shipping-state">${sh.order_state} ${esc(sh.order_state_name)}</span>${company?.tracking_no ? `<br>${esc(company.express_company)} ${esc(company.tracking_no)}` : ''}${sh.confirmed_by === 'auto' ? '<br><em>自动确认收货</em>' : ''}`
          : '—';
        const fundsCell = sh
          ? `<span class="st st-funds-${sh.funds}" data-testid="sandbox-funds">${sh.funds === 'frozen' ? '冻结中' : sh.funds === 'released' ? '已解冻' : '已退款'}</span>${sh.auto_confirm_at ? `<br><small>自动确认 ${esc(sh.auto_confirm_at)}</small>` : ''}`
          : '—';
        return `<tr data-out-trade-no="${esc(t.out_trade_no)}"><td>${esc(t.out_trade_no)}</td><td>${esc(t.description)}</td><td class="num">${esc(yuan(amount.total))}</td><td><span class="st st-${esc(t.trade_state)}">${esc(t.trade_state)}</span>${t.bill_only ? ' <em>bill only</em>' : ''}</td><td>${esc(t.transaction_id)}</td><td>${esc(t.success_time)}</td><td>${shipCell}</td><td>${fundsCell}</td></tr>`;
      })
      .join('');
    const rfRows = refunds()
      .reverse()
      .map((rf) => {
        const amount = rf.amount as { refund: number; total: number };
        return `<tr><td>${esc(rf.out_refund_no)}</td><td>${esc(rf.out_trade_no)}</td><td class="num">${esc(yuan(amount.refund))} / ${esc(yuan(amount.total))}</td><td><span class="st st-${esc(rf.status)}">${esc(rf.status)}</span></td><td>${esc(rf.refund_id)}</td><td>${esc(rf.success_time ?? '')}</td></tr>`;
      })
      .join('');
    const nRows = [...store.notifications]
      .reverse()
      .map((n) => {
        const attempts = n.attempts
          .map(
            (a) =>
              `<li>#${a.attempt} ${esc(a.copy)} +${a.offsetMs} ms → ${a.status !== null ? `<b>${a.status}</b> ${esc(a.answer)}` : `<b>error</b> ${esc(a.error)}`}${a.signatureCorrupted ? ' <em>(corrupted signature)</em>' : ''} <small>signed by ${esc(a.serial)}</small></li>`,
          )
          .join('');
        return `<tr><td>${esc(n.eventType)}</td><td>${esc(n.outRefundNo ?? n.outTradeNo)}</td><td>${esc(n.notifyUrl)}</td><td><span class="st st-${esc(n.state)}">${esc(n.state)}</span></td><td><ul>${attempts || '<li>—</li>'}</ul></td></tr>`;
      })
      .join('');
    const certRows = ctx.keyRing
      .certificatesInfo()
      .map(
        (cert, i) =>
          `<tr data-testid="sandbox-certificate"><td><code>${esc(cert.serialNo)}</code>${i === 0 ? ' <em>signs</em>' : ''}</td><td>${esc(cert.effectiveTime)}</td><td>${esc(cert.expireTime)}</td></tr>`,
      )
      .join('');
    const probeRows = [...store.signatureProbes]
      .reverse()
      .map((p) => {
        const verdict = p.refused ? 'passed' : p.status === null ? 'no answer' : 'FAILED';
        const detail = p.refused
          ? `merchant refused it (${p.status})`
          : p.status === null
            ? esc(p.error)
            : `merchant accepted a forged signature (${p.status})`;
        return `<tr data-testid="signature-probe"><td>${esc(p.at)}</td><td>${esc(p.notifyUrl)}</td><td><code>${esc(p.serial)}</code></td><td><span class="st st-probe-${p.refused ? 'passed' : 'failed'}" data-testid="signature-probe-result">${verdict}</span> ${detail} ${esc(p.answer ?? '')}</td></tr>`;
      })
      .join('');
    res.type('html').send(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="5"><title>WeChat Pay sandbox</title>
<style>
body{font:14px/1.5 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:24px;color:#1a1a1a;background:#f7f7f7}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #e5e5e5;padding:6px 8px;text-align:left;vertical-align:top}th{background:#fafafa}
.num{text-align:right;font-variant-numeric:tabular-nums}ul{margin:0;padding-left:18px}code{background:#eee;padding:1px 4px}
.st{padding:1px 6px;border-radius:3px;background:#eee}.st-SUCCESS,.st-delivered{background:#e6f7ee;color:#07a35a}
.st-NOTPAY,.st-PROCESSING,.st-queued,.st-retrying,.st-delivering{background:#fff6e0;color:#a86b00}
.st-probe-passed{background:#e6f7ee;color:#07a35a}.st-probe-failed{background:#fdecec;color:#c53030}
.st-CLOSED,.st-PAYERROR,.st-failed,.st-dropped,.st-ABNORMAL{background:#fdecec;color:#c53030}
.st-funds-frozen{background:#e8f0fe;color:#1a56db}.st-funds-released,.st-ship3,.st-ship4{background:#e6f7ee;color:#07a35a}
</style></head><body>
<h1>WeChat Pay APIv3 sandbox</h1>
<p>mchid <code>${esc(c.mchid)}</code> · appid <code>${esc(c.appid)}</code> · public key <code>${esc(c.wechatpayPublicKeyId)}</code> ·
JSON: <a href="api/transactions">transactions</a>, <a href="api/refunds">refunds</a>, <a href="api/notifications">notifications</a>, <a href="faults">faults</a></p>
<h2>Keys</h2>
<p data-testid="sandbox-key-mode">key mode <code>${esc(ctx.keyRing.mode)}</code>${ctx.keyRing.mode === 'switching' ? ` · public key share of callbacks ${(ctx.keyRing.switchShare() * 100).toFixed(1)}%` : ''} · <a href="keys">keys</a></p>
${certRows ? `<table data-testid="sandbox-certificates"><tr><th>platform certificate serial</th><th>effective</th><th>expires</th></tr>${certRows}</table>` : ''}
<h2>Signature probes (${store.signatureProbes.length})</h2>
<table data-testid="sandbox-signature-probes"><tr><th>at</th><th>notify_url</th><th>Wechatpay-Serial</th><th>result</th></tr>${probeRows}</table>
<h2>Transactions (${store.transactions.size})</h2>
<table data-testid="sandbox-transactions"><tr><th>out_trade_no</th><th>description</th><th>amount</th><th>trade_state</th><th>transaction_id</th><th>success_time</th><th>发货 order_state</th><th>资金</th></tr>${txRows}</table>
<h2>Refunds (${store.refunds.size})</h2>
<table data-testid="sandbox-refunds"><tr><th>out_refund_no</th><th>out_trade_no</th><th>refund / total</th><th>status</th><th>refund_id</th><th>success_time</th></tr>${rfRows}</table>
<h2>Notifications (${store.notifications.length})</h2>
<table data-testid="sandbox-notifications"><tr><th>event</th><th>order / refund</th><th>notify_url</th><th>state</th><th>attempts and answers</th></tr>${nRows}</table>
</body></html>`);
  });

  // The pay sheet the h5 build opens in place of uni.requestPayment.
  r.get('/cashier', (req, res) => {
    const q = req.query as Record<string, unknown>;
    const str = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : '');
    const params = {
      appId: str('appId'),
      timeStamp: str('timeStamp'),
      nonceStr: str('nonceStr'),
      package: str('package'),
      signType: str('signType'),
      paySign: str('paySign'),
      openid: str('openid'),
    };
    const returnUrl = str('return');
    // the sheet sends the shopper back only to the shop: a loopback or configured h5 origin, never
    // to wherever a link says (an open redirect carrying the payment's outcome)
    const returnOk = returnUrl === '' || isTrustedOrigin(returnUrl, ctx.h5Origins);
    const prepayId = params.package.startsWith('prepay_id=') ? params.package.slice('prepay_id='.length) : '';
    const tx = [...store.transactions.values()].find((t) => t.prepayId === prepayId && !t.billOnly);
    let problem = '';
    if (!returnOk)
      problem = 'return 参数必须是本机（localhost / 127.0.0.1 / [::1]）或 SANDBOX_H5_ORIGIN 配置的 h5 地址';
    else if (!tx) problem = '订单不存在或 prepay_id 无效';
    else if (tx.tradeState === 'SUCCESS' || tx.tradeState === 'REFUND') problem = '该订单已支付';
    else if (tx.tradeState === 'CLOSED') problem = '订单已关闭';
    // A settled order's sheet (reached again by the browser's back button) refuses and goes back to
    // the merchant with what happened, as WeChat's sheet closes on an ORDERPAID / ORDER_CLOSED answer.
    const settledAs =
      !returnOk || !tx ? null : problem === '该订单已支付' ? 'ok' : problem === '订单已关闭' ? 'cancel' : null;
    res.set('Cache-Control', 'no-store');
    res.status(problem && !returnOk ? 400 : 200).type('html').send(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1,maximum-scale=1">
<title>微信支付</title>
<style>
*{box-sizing:border-box}body{margin:0;font:16px/1.4 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:rgba(0,0,0,.55);min-height:100vh;display:flex;align-items:flex-end;justify-content:center}
.sheet{width:100%;max-width:480px;background:#fff;border-radius:12px 12px 0 0;padding:20px 24px 32px;text-align:center}
.bar{display:flex;align-items:center;justify-content:space-between;color:#111;font-size:15px;margin-bottom:24px}
.bar button{border:0;background:none;font-size:22px;color:#555;cursor:pointer}
.merchant{color:#333;font-size:15px}.desc{color:#888;font-size:13px;margin-top:4px}
.amount{font-size:40px;font-weight:600;margin:16px 0 24px;font-family:-apple-system,"Helvetica Neue",sans-serif}
.row{display:flex;justify-content:space-between;color:#888;font-size:14px;border-top:1px solid #eee;padding:14px 0;text-align:left}
.confirm{width:100%;height:48px;border:0;border-radius:8px;background:#07c160;color:#fff;font-size:17px;font-weight:600;margin-top:20px;cursor:pointer}
.confirm:disabled{background:#9ddfb9}.fail{display:block;margin-top:14px;color:#576b95;font-size:13px;cursor:pointer;background:none;border:0;width:100%}
.problem{color:#fa5151;font-size:14px;margin:8px 0}.brand{color:#07c160;font-weight:600}
</style></head><body>
<div class="sheet" role="dialog" aria-label="微信支付">
  <div class="bar"><button type="button" data-testid="cashier-close" aria-label="关闭">✕</button><span class="brand">微信支付</span><span style="width:22px"></span></div>
  <div class="merchant" data-testid="cashier-merchant">${esc(SANDBOX_MERCHANT_NAME)}</div>
  ${tx ? `<div class="desc">${esc(tx.request.description)}</div>` : ''}
  <div class="amount" data-testid="cashier-amount">${tx ? esc(yuan(tx.request.amount.total)) : '—'}</div>
  <div class="row"><span>付款方式</span><span>零钱</span></div>
  ${problem ? `<p class="problem" data-testid="cashier-problem">${esc(problem)}</p>` : ''}
  <p class="problem" data-testid="cashier-error" hidden></p>
  <button type="button" class="confirm" data-testid="cashier-confirm"${problem ? ' disabled' : ''}>确认支付</button>
  <button type="button" class="fail" data-testid="cashier-fail"${problem ? ' disabled' : ''}>模拟支付失败</button>
  <button type="button" class="fail" data-testid="cashier-cancel">取消</button>
</div>
<script>
(function () {
  var params = ${scriptJson(params)};
  var returnUrl = ${scriptJson(returnOk ? returnUrl : '')};
  var outTradeNo = ${scriptJson(tx ? tx.request.out_trade_no : null)};
  function withResult(url, result) {
    var hashAt = url.indexOf('#');
    var base = hashAt < 0 ? url : url.slice(0, hashAt);
    var hash = hashAt < 0 ? '' : url.slice(hashAt);
    var part = 'sandboxPay=' + encodeURIComponent(result);
    // uni-app's h5 router keeps its query inside the hash.
    if (hash && hash.indexOf('/') === 1) return base + hash + (hash.indexOf('?') < 0 ? '?' : '&') + part;
    return base + (base.indexOf('?') < 0 ? '?' : '&') + part + hash;
  }
  function finish(result, detail) {
    var message = { type: 'wechatpay-sandbox:pay', result: result, outTradeNo: outTradeNo, detail: detail || null };
    try { if (window.opener && window.opener !== window) window.opener.postMessage(message, '*'); } catch (e) {}
    try { if (window.parent && window.parent !== window) window.parent.postMessage(message, '*'); } catch (e) {}
    document.body.setAttribute('data-result', result);
    if (returnUrl) window.location.href = withResult(returnUrl, result);
  }
  function pay(outcome) {
    var buttons = document.querySelectorAll('.confirm, .fail');
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
    var body = Object.assign({}, params, outcome ? { outcome: outcome } : {});
    fetch('pay', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (r) {
        if (r.ok && r.body.result === 'SUCCESS') return finish('ok', r.body.transaction);
        var err = document.querySelector('[data-testid=cashier-error]');
        err.textContent = r.ok ? '支付失败' : (r.body.message || '支付失败');
        err.hidden = false;
        finish('fail', r.body);
      })
      .catch(function (e) { finish('fail', { message: String(e) }); });
  }
  // Back to this sheet from the merchant's page: read the order's state afresh, never the cached sheet.
  window.addEventListener('pageshow', function (e) { if (e.persisted) window.location.reload(); });
  var settledAs = ${scriptJson(settledAs)};
  if (settledAs) setTimeout(function () { finish(settledAs); }, 1500);
  document.querySelector('[data-testid=cashier-confirm]').addEventListener('click', function () { pay(null); });
  document.querySelector('[data-testid=cashier-fail]').addEventListener('click', function () { pay('PAYERROR'); });
  document.querySelector('[data-testid=cashier-close]').addEventListener('click', function () { finish('cancel'); });
  document.querySelector('[data-testid=cashier-cancel]').addEventListener('click', function () { finish('cancel'); });
})();
</script>
</body></html>`);
  });
}
