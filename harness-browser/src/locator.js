// Resolves a harness `Locator` (its JSON parts) to the elements it matches, in document order.
// Evaluated inside every script the harness runs against the page; defines `harnessResolve`.
// Kept to what works in every WebDriver browser (Chrome, Firefox): no optional dependencies.
const harnessNorm = (s) => (s || '').replace(/\s+/g, ' ').trim();
const harnessMatches = (actual, wanted, exact) => {
  const a = harnessNorm(actual);
  return exact ? a === wanted : a.toLowerCase().includes(wanted.toLowerCase());
};
const harnessSkipped = (el) => ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'HEAD'].includes(el.tagName);
const harnessText = (el) => (el.innerText === undefined ? el.textContent : el.innerText) || '';
const harnessImplicitRole = (el) => {
  const tag = el.tagName.toLowerCase();
  const type = (el.getAttribute('type') || '').toLowerCase();
  switch (tag) {
    case 'a': case 'area': return el.hasAttribute('href') ? 'link' : null;
    case 'button': return 'button';
    case 'input':
      if (['button', 'submit', 'reset', 'image'].includes(type)) return 'button';
      if (type === 'checkbox') return 'checkbox';
      if (type === 'radio') return 'radio';
      if (type === 'range') return 'slider';
      if (type === 'number') return 'spinbutton';
      if (type === 'search') return 'searchbox';
      if (type === 'hidden' || type === 'file' || type === 'color' || type === 'date') return null;
      return 'textbox';
    case 'textarea': return 'textbox';
    case 'select': return el.multiple || el.size > 1 ? 'listbox' : 'combobox';
    case 'option': return 'option';
    case 'h1': case 'h2': case 'h3': case 'h4': case 'h5': case 'h6': return 'heading';
    case 'ul': case 'ol': case 'menu': return 'list';
    case 'li': return 'listitem';
    case 'nav': return 'navigation';
    case 'main': return 'main';
    case 'aside': return 'complementary';
    case 'header': return el.closest('article, aside, main, nav, section') ? null : 'banner';
    case 'footer': return el.closest('article, aside, main, nav, section') ? null : 'contentinfo';
    case 'section': return el.hasAttribute('aria-label') || el.hasAttribute('aria-labelledby') ? 'region' : null;
    case 'form': return 'form';
    case 'article': return 'article';
    case 'dialog': return 'dialog';
    case 'table': return 'table';
    case 'tr': return 'row';
    case 'td': return 'cell';
    case 'th': return 'columnheader';
    case 'img': return el.getAttribute('alt') === '' ? 'presentation' : 'img';
    case 'progress': return 'progressbar';
    case 'fieldset': case 'details': return 'group';
    case 'p': return 'paragraph';
    default: return null;
  }
};
const harnessRole = (el) => {
  const explicit = harnessNorm(el.getAttribute('role')).split(' ')[0];
  return explicit || harnessImplicitRole(el);
};
// The accessible name, as far as tests need it: aria-labelledby, aria-label, a form control's
// labels, alt, the content, title.
// The text of the elements `aria-labelledby` names, or null.
const harnessLabelledBy = (el) => {
  const by = el.getAttribute('aria-labelledby');
  const parts = by ? by.split(/\s+/).map((id) => document.getElementById(id)).filter(Boolean) : [];
  return parts.length ? harnessNorm(parts.map(harnessText).join(' ')) : null;
};
const harnessName = (el) => {
  const labelledBy = harnessLabelledBy(el);
  if (labelledBy !== null) return labelledBy;
  const label = el.getAttribute('aria-label');
  if (label && label.trim()) return harnessNorm(label);
  const tag = el.tagName;
  if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') {
    if (['button', 'submit', 'reset'].includes(el.type) && el.value) return harnessNorm(el.value);
    const labels = el.labels ? [...el.labels].map(harnessText).join(' ') : '';
    if (harnessNorm(labels)) return harnessNorm(labels);
    return harnessNorm(el.getAttribute('placeholder') || el.getAttribute('title') || '');
  }
  if (tag === 'IMG') return harnessNorm(el.getAttribute('alt') || el.getAttribute('title') || '');
  const text = harnessNorm(harnessText(el));
  return text || harnessNorm(el.getAttribute('title') || '');
};
// The accessible description: aria-describedby, aria-description, else a title not already the
// name.
const harnessDescription = (el) => {
  const by = el.getAttribute('aria-describedby');
  if (by) {
    const parts = by.split(/\s+/).map((id) => document.getElementById(id)).filter(Boolean);
    if (parts.length) return harnessNorm(parts.map((p) => p.textContent).join(' '));
  }
  const description = el.getAttribute('aria-description');
  if (description && description.trim()) return harnessNorm(description);
  const title = harnessNorm(el.getAttribute('title'));
  return title && title !== harnessName(el) ? title : '';
};
const harnessHidden = (el) => !!el.closest('[hidden], [aria-hidden="true"]');
const harnessDescendants = (root) => [...root.querySelectorAll('*')].filter((el) => !harnessSkipped(el));
const harnessByText = (root, wanted, exact) => {
  const hits = harnessDescendants(root).filter((el) => harnessMatches(el.textContent, wanted, exact));
  // The innermost elements only: a text is found in its own element, not in every ancestor.
  return hits.filter((el) => ![...el.children].some((child) => hits.includes(child)));
};
const harnessStep = (scope, part) => {
  const each = (f) => {
    const out = [];
    for (const root of scope) for (const el of f(root)) if (!out.includes(el)) out.push(el);
    return out;
  };
  switch (part.kind) {
    case 'css': return each((root) => root.querySelectorAll(part.value));
    case 'test_id': return each((root) => root.querySelectorAll(`[data-testid="${CSS.escape(part.value)}"]`));
    case 'text': return each((root) => harnessByText(root, part.value, part.exact));
    case 'role': return each((root) => harnessDescendants(root).filter((el) => harnessRole(el) === part.value
      && !harnessHidden(el) && (part.name === null || harnessMatches(harnessName(el), part.name, part.exact))));
    case 'label': return each((root) => harnessDescendants(root).filter((el) =>
      ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) || el.hasAttribute('aria-label'))
      .filter((el) => harnessMatches(harnessName(el), part.value, part.exact)));
    case 'placeholder': case 'alt_text': case 'title': {
      const attribute = part.kind === 'alt_text' ? 'alt' : part.kind;
      return each((root) => [...root.querySelectorAll(`[${attribute}]`)]
        .filter((el) => harnessMatches(el.getAttribute(attribute), part.value, part.exact)));
    }
    case 'nth': {
      const i = part.index < 0 ? scope.length + part.index : part.index;
      return i >= 0 && i < scope.length ? [scope[i]] : [];
    }
    case 'has_text': return scope.filter((el) => harnessMatches(el.textContent, part.value, false) !== part.negate);
    case 'has': return scope.filter((el) => (harnessResolveIn(el, part.inner).length > 0) !== part.negate);
    default: throw new Error(`unknown locator part ${part.kind}`);
  }
};
// What `parts` match within `root` (its descendants).
const harnessResolveIn = (root, parts) => parts.reduce(harnessStep, [root]).filter((el) => el !== root);
const harnessResolve = (parts) => harnessResolveIn(document, parts);
