import type { JSX } from "preact";

type InputProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "value" | "onInput" | "label"> & {
  label: string;
  value: string;
  onValue: (value: string) => void;
  hint?: string;
  name: string;
};

/** A labelled text input with an optional hint tied to it for screen readers. */
export function TextField({ label, value, onValue, hint, name, ...rest }: InputProps) {
  const hintId = hint ? `${name}-hint` : undefined;
  return (
    <label>
      {label}
      <input
        {...rest}
        name={name}
        value={value}
        aria-describedby={hintId}
        spellcheck={false}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
      {hint && (
        <small id={hintId} class="hint">
          {hint}
        </small>
      )}
    </label>
  );
}
