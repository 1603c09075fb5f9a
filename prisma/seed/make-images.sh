#!/bin/sh
# Regenerates the catalog images in ./images (run once; the PNGs are committed).
# Needs ImageMagick and a CJK font: apt-get install -y imagemagick fonts-wqy-microhei
set -eu
cd "$(dirname "$0")/images"
CONVERT=${CONVERT:-/usr/bin/convert}
FONT=${FONT:-/usr/share/fonts/truetype/wqy/wqy-microhei.ttc}

# file | label on the tile | category line | base colour | light colour
while IFS='|' read -r file label category base light; do
  [ -n "$file" ] || continue
  "$CONVERT" -size 480x480 "gradient:${light}-${base}" \
    -fill 'rgba(255,255,255,0.92)' -draw 'circle 240,215 240,75' \
    -fill none -stroke "$base" -strokewidth 3 -draw 'circle 240,215 240,87' -stroke none \
    -fill "$base" -draw 'roundrectangle 205,262 275,267 2,2' \
    -font "$FONT" -fill "$base" -gravity center -pointsize 52 -annotate +0-35 "$label" \
    -fill white -pointsize 26 -gravity south -annotate +0+42 "山茶小铺 · $category" \
    -colors 48 -strip "PNG8:${file}.png"
done <<'LIST'
tea-longjing|西湖龙井|名茶|#5f8f3e|#dfeccf
tea-dahongpao|大红袍|岩茶|#8b3a2b|#f1d9cf
tea-puer|普洱熟茶|黑茶|#5b3a29|#ead9c8
tea-tieguanyin|铁观音|乌龙|#3f6f4f|#d8eadb
tea-baihao|白毫银针|白茶|#8c855f|#f3f0e0
tea-osmanthus-oolong|桂花乌龙|冷泡茶|#c98a2b|#f8ead0
coffee-yunnan-beans|云南咖啡豆|咖啡|#6b4226|#ecdccb
coffee-drip-bags|挂耳咖啡|咖啡|#8a5a3b|#f1e1d3
coffee-freeze-dried|冻干咖啡|咖啡|#3d2b1f|#e3d6cb
coffee-cold-brew|冷萃咖啡液|咖啡|#2f4858|#d5e2e8
snack-sesame-crisp|芝麻酥|茶点|#4a4a4a|#e4e1dc
snack-flower-cake|鲜花饼|茶点|#b4495e|#f6dde2
snack-osmanthus-cake|桂花糕|茶点|#c9962f|#f8ecd0
snack-honey-almonds|扁桃仁|坚果|#a8702f|#f3e4cf
snack-matcha-mochi|抹茶麻薯|茶点|#5f8a43|#e2eed6
LIST
