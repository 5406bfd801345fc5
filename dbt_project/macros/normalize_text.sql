{#-
  normalize_text(expr): full-width ASCII (U+FF01..U+FF5E, 94 characters) to half-width (U+0021..U+007E),
  and the ideographic space U+3000 to a plain space. Nothing else changes (no trim, no case folding).
-#}
{% macro normalize_text(expr) -%}
translate(cast({{ expr }} as varchar),
    '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　',
    '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ')
{%- endmacro %}
