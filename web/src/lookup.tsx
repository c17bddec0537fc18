/** The customer lookup field the customer and engagement pages share. */
import { useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { Field } from './ui.tsx';

export function LookupForm({ initial, action, label = 'Look up' }: { initial: string; action: (id: string) => void; label?: string }): ReactNode {
  const [text, setText] = useState(initial);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const id = text.trim();
    if (id !== '') action(id);
  };
  return (
    <form className="filters lookup" onSubmit={submit} role="search" aria-label="Find a customer">
      <Field label="Customer" hint="a phone number as the customer says it, or type:value (email:a@b.com, account_id:ACC-1, customer_id:C000001), or a customer key">
        <input name="customer" value={text} onChange={(e) => setText(e.target.value)} placeholder="215-206-3996 or email:a@b.com" spellCheck={false} required />
      </Field>
      <button type="submit" className="primary">
        {label}
      </button>
    </form>
  );
}
