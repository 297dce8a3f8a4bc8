import { describe, it, expect } from 'vitest';
import {
  TEMPLATE_PRESETS,
  TemplateError,
  placeholdersOf,
  renderTemplate,
  resolveTemplates,
  validateTemplates,
} from '../../src/commands/templates.js';

const vars = { code: '1234', login: 'ivanov', password: '1a2b3c4d' };

describe('presets', () => {
  it('en matches seed 001 exactly', () => {
    const en = resolveTemplates('en');
    expect(en.ack).toBe('Your request has been received. Wait for notification of the request being processed.');
    expect(renderTemplate(en.info, vars)).toBe(
      "REGISTRATION CENTER. Personal Code: 1234. CLIENT'S PORTAL: login: ivanov, password: 1a2b3c4d. Do not share your registration data with anyone.",
    );
  });

  it('es matches seed 000', () => {
    const es = resolveTemplates('es');
    expect(es.ack).toBe('Su pedido fue recibido. Espere la notificación sobre la tramitación de la solicitud.');
    expect(renderTemplate(es.info, vars)).toBe(
      'Centro del registro.\nCódigo personal: 1234.\nPortal del cliente:\nlogin: ivanov\ncontraseña: 1a2b3c4d.\nNo le diga a nadie sus datos del registro.',
    );
  });

  it('ru has every key, the info text carries all three values', () => {
    const ru = resolveTemplates('ru');
    const info = renderTemplate(ru.info, vars);
    for (const v of Object.values(vars)) expect(info).toContain(v);
    expect(ru.ack).toMatch(/^Ваш запрос получен/);
  });

  it('every preset is complete and valid; stop/start confirmations name the opposite command', () => {
    for (const [lang, set] of Object.entries(TEMPLATE_PRESETS)) {
      expect(() => validateTemplates(set), lang).not.toThrow();
      expect(set.smsStop, lang).toContain('CLIENT sms start');
      expect(set.smsStart, lang).toContain('CLIENT sms stop');
    }
  });
});

describe('renderTemplate', () => {
  it('fills every occurrence and leaves other braces alone', () => {
    expect(renderTemplate('{a}-{a} {not closed {b}', { a: 'x', b: 'y' })).toBe('x-x {not closed y');
    expect(renderTemplate('{ spaced }', {})).toBe('{ spaced }');
  });

  it('does not re-expand placeholders inside values', () => {
    expect(renderTemplate('{login}', { login: '{password}', password: 'p' })).toBe('{password}');
  });

  it('an unknown placeholder is a TemplateError naming it and the known ones', () => {
    expect(() => renderTemplate('Code {cod}', vars)).toThrow(TemplateError);
    expect(() => renderTemplate('Code {cod}', vars)).toThrow('template uses {cod}, which is not one of: {code}, {login}, {password}');
    expect(() => renderTemplate('{toString}', {})).toThrow(/\{toString\}/);
  });

  it('placeholdersOf lists names once, in order', () => {
    expect(placeholdersOf('{b} {a} {b}')).toEqual(['b', 'a']);
  });
});

describe('resolveTemplates', () => {
  it('merges config overrides over the preset', () => {
    const t = resolveTemplates('es', { ack: 'Recibido.' });
    expect(t.ack).toBe('Recibido.');
    expect(t.info).toBe(TEMPLATE_PRESETS.es.info);
  });

  it('refuses unknown keys, empty texts and placeholders a key does not provide', () => {
    expect(() => resolveTemplates('en', { acknowledgement: 'x' })).toThrow('unknown template "templates.acknowledgement" (known: ack, info, smsStop, smsStart, selfServiceActivated, selfServiceCode, selfServiceNotActivated, selfServiceTooMany)');
    expect(() => resolveTemplates('en', { toString: 'x' })).toThrow(/unknown template/);
    expect(() => resolveTemplates('en', { ack: '  ' })).toThrow('template "templates.ack" is empty');
    expect(() => resolveTemplates('en', { ack: 'Hi {login}' })).toThrow('template "templates.ack" uses {login}, which is not one of: (none: this template takes no placeholders)');
    expect(() => resolveTemplates('en', { info: 'Code {pin}' })).toThrow('uses {pin}, which is not one of: {code}, {login}, {password}');
  });

  it('refuses an unknown language', () => {
    expect(() => resolveTemplates('de' as never)).toThrow('no template preset for language "de" (known: en, es, ru)');
  });
});
