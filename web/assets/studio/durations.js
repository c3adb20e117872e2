// ISO 8601 durations in words for the due-date helper: "P20D" → "20 дни", "PT24H" → "24 часа".
const PARTS = [
  ["Y", "year", "years"],
  ["M", "month", "months"],
  ["W", "week", "weeks"],
  ["D", "day", "days"],
];
const TIME_PARTS = [
  ["H", "hour", "hours"],
  ["M", "minute", "minutes"],
];
const PATTERN = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?)?$/;

export function durationWords(text, t) {
  const match = PATTERN.exec((text || "").trim());
  if (!match) return "";
  const words = [];
  const say = (value, one, many) => {
    if (!value) return;
    const n = parseInt(value, 10);
    words.push(`${n} ${t(n === 1 ? one : many)}`);
  };
  PARTS.forEach(([, one, many], index) => say(match[index + 1], one, many));
  TIME_PARTS.forEach(([, one, many], index) => say(match[index + 6], one, many));
  return words.join(" ");
}
