{#-
  normalize_text(expr): full-width ASCII (U+FF01..U+FF5E, 94 characters) to half-width (U+0021..U+007E), so
  （） become (); the other brackets Chinese text uses, 〔〕 and 【】, to () and []; the ideographic space U+3000 and
  the no-break space U+00A0 to a plain space. Nothing else changes (no trim, no case folding).
  translate() costs about 3.5 s per million values, a regex test 0.05 to 0.15 s, and full-width text is rare:
  translate only the values that hold one of these characters. Every such character is outside ASCII, so an ASCII
  value (as many bytes as characters: codes, numbers, timestamps) skips the regex test too.
-#}
{% macro normalize_text(expr) -%}
{%- set value = "cast(" ~ expr ~ " as varchar)" -%}
case when {{ byte_length(value) }} <> length({{ value }}) and regexp_matches({{ value }}, '[！-～　 〔〕【】]') then translate({{ value }},
    '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　 〔〕【】',
    '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~  ()[]')
else {{ value }} end
{%- endmacro %}
