// What a rendered page shows, read once it settled (one Runtime.evaluate, by value).
// Visible: laid out (offsetParent or client rects) and not hidden by CSS.
(() => {
  const MAX_LINKS = __MAX_LINKS__, MAX_PROMPTS = __MAX_PROMPTS__, SHORT = __SHORT__;
  const visible = (el) => {
    if (el.offsetParent === null && el.getClientRects().length === 0) return false;
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none' && style.opacity !== '0';
  };
  const squash = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const chars = (s) => Array.from(s).length;
  const prompts = [];
  const prompt = (text) => {
    if (text && prompts.length < MAX_PROMPTS && !prompts.includes(text)) prompts.push(text);
  };
  const buttons = 'button, input[type=submit], input[type=button], [role=button]';
  for (const b of document.querySelectorAll(buttons)) {
    if (prompts.length >= MAX_PROMPTS) break;
    if (visible(b)) prompt(squash(b.innerText || b.value || b.getAttribute('aria-label')));
  }
  const links = [];
  for (const a of document.querySelectorAll('a[href]')) {
    if (links.length >= MAX_LINKS) break;
    if (!visible(a)) continue;
    links.push(a.href);
    const text = squash(a.innerText);
    if (chars(text) <= SHORT) prompt(text);
  }
  const password = Array.from(document.querySelectorAll('input[type=password]')).some(visible);
  const body = document.body ? squash(document.body.innerText) : '';
  return {
    url: location.href,
    title: document.title,
    text: chars(body),
    password,
    links,
    prompts,
  };
})()
