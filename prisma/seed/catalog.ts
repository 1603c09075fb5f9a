// The demo catalog of 山茶小铺, a small tea, coffee and snack shop. Prices are integer fen.
// Images ship in ./images and are served by the BFF at /static/products/<file>.
// Ids are stable: re-seeding updates these rows in place and never touches stock that orders
// have already moved.

export interface SeedSku {
  id: string;
  title: string;
  priceFen: number;
  stock: number;
  active?: boolean;
}

export interface SeedProduct {
  id: string;
  title: string;
  subtitle?: string;
  description: string;
  category: 'tea' | 'coffee' | 'snack';
  /** files in prisma/seed/images */
  images: string[];
  sortOrder: number;
  active?: boolean;
  skus: SeedSku[];
}

export const CATALOG_IMAGE_URL_PREFIX = '/static/products/';

export const catalog: SeedProduct[] = [
  {
    id: 'tea-longjing',
    title: '明前西湖龙井',
    subtitle: '杭州狮峰山产区 · 2026 年春茶',
    description: '明前采摘一芽一叶，手工炒制，扁平挺直，豆花香清幽，汤色嫩绿明亮。',
    category: 'tea',
    images: ['tea-longjing.png'],
    sortOrder: 10,
    skus: [
      { id: 'tea-longjing-50g', title: '50g 罐装', priceFen: 6800, stock: 120 },
      { id: 'tea-longjing-100g', title: '100g 礼盒', priceFen: 12800, stock: 60 },
      { id: 'tea-longjing-250g', title: '250g 纸包', priceFen: 29800, stock: 20 },
    ],
  },
  {
    id: 'tea-dahongpao',
    title: '武夷山大红袍',
    subtitle: '岩茶 · 中火慢焙',
    description: '武夷正岩产区，传统炭焙，岩韵明显，耐泡七泡有余。',
    category: 'tea',
    images: ['tea-dahongpao.png'],
    sortOrder: 20,
    skus: [
      { id: 'tea-dahongpao-50g', title: '50g 小罐', priceFen: 5800, stock: 80 },
      { id: 'tea-dahongpao-125g', title: '125g 礼盒', priceFen: 13800, stock: 40 },
    ],
  },
  {
    id: 'tea-puer',
    title: '云南普洱熟茶饼',
    subtitle: '勐海 2019 年原料',
    description: '勐海大叶种晒青毛茶渥堆发酵，陈香醇厚，汤色红浓，适合冬日围炉。',
    category: 'tea',
    images: ['tea-puer.png'],
    sortOrder: 30,
    skus: [
      { id: 'tea-puer-357g', title: '357g 茶饼', priceFen: 16800, stock: 3 },
      { id: 'tea-puer-100g', title: '100g 小沱茶', priceFen: 4800, stock: 50 },
    ],
  },
  {
    id: 'tea-tieguanyin',
    title: '安溪铁观音',
    subtitle: '兰花香 · 独立小泡袋',
    description: '安溪西坪高山茶园，半球形颗粒，兰花香馥郁，回甘持久。',
    category: 'tea',
    images: ['tea-tieguanyin.png'],
    sortOrder: 40,
    skus: [
      { id: 'tea-tieguanyin-fresh', title: '清香型 125g', priceFen: 5600, stock: 90 },
      { id: 'tea-tieguanyin-roast', title: '浓香型 125g', priceFen: 5600, stock: 70 },
    ],
  },
  {
    id: 'tea-baihao',
    title: '福鼎白毫银针',
    subtitle: '单芽采制 · 日光萎凋',
    description: '福鼎大白茶单芽，满披白毫，毫香蜜韵，新茶清鲜，存放后愈发醇和。',
    category: 'tea',
    images: ['tea-baihao.png'],
    sortOrder: 50,
    skus: [
      { id: 'tea-baihao-50g', title: '50g 铁罐', priceFen: 8800, stock: 45 },
      { id: 'tea-baihao-100g', title: '100g 礼盒', priceFen: 16800, stock: 25 },
    ],
  },
  {
    id: 'tea-osmanthus-oolong',
    title: '桂花乌龙冷泡茶',
    subtitle: '冷水 6 小时 · 三角茶包',
    description: '台式乌龙窨制金桂，冷泡清甜不苦涩，也可热水冲泡。',
    category: 'tea',
    images: ['tea-osmanthus-oolong.png'],
    sortOrder: 60,
    skus: [
      { id: 'tea-osmanthus-oolong-10', title: '10 袋装', priceFen: 2900, stock: 200 },
      { id: 'tea-osmanthus-oolong-30', title: '30 袋装', priceFen: 7900, stock: 80 },
    ],
  },
  {
    id: 'coffee-yunnan-beans',
    title: '云南保山小粒咖啡豆',
    subtitle: '日晒处理 · 每周烘焙',
    description: '保山潞江坝阿拉比卡，坚果与红糖风味，烘焙后七日内发货。',
    category: 'coffee',
    images: ['coffee-yunnan-beans.png'],
    sortOrder: 110,
    skus: [
      { id: 'coffee-yunnan-beans-medium', title: '中度烘焙 250g', priceFen: 4900, stock: 100 },
      { id: 'coffee-yunnan-beans-dark', title: '深度烘焙 250g', priceFen: 4900, stock: 100 },
      { id: 'coffee-yunnan-beans-500g', title: '中度烘焙 500g', priceFen: 8800, stock: 40 },
    ],
  },
  {
    id: 'coffee-drip-bags',
    title: '精品挂耳咖啡',
    subtitle: '三种产区混合装',
    description: '云南、埃塞俄比亚、哥伦比亚单品挂耳各一款，每片 10g，办公室一杯好咖啡。',
    category: 'coffee',
    images: ['coffee-drip-bags.png'],
    sortOrder: 120,
    skus: [
      { id: 'coffee-drip-bags-10', title: '10 片装', priceFen: 3900, stock: 150 },
      { id: 'coffee-drip-bags-20', title: '20 片装', priceFen: 6900, stock: 2 },
    ],
  },
  {
    id: 'coffee-freeze-dried',
    title: '冻干速溶咖啡',
    subtitle: '3 秒溶于冷水',
    description: '低温冻干锁住香气，冷水、牛奶、燕麦奶皆可冲调。',
    category: 'coffee',
    images: ['coffee-freeze-dried.png'],
    sortOrder: 130,
    skus: [
      { id: 'coffee-freeze-dried-americano', title: '美式 12 颗', priceFen: 3600, stock: 120 },
      { id: 'coffee-freeze-dried-latte', title: '拿铁 12 颗', priceFen: 3900, stock: 90 },
      // seasonal flavour, sold out for the year: kept for old orders, hidden from the shop
      {
        id: 'coffee-freeze-dried-coconut',
        title: '生椰拿铁 12 颗（季节限定）',
        priceFen: 4200,
        stock: 0,
        active: false,
      },
    ],
  },
  {
    id: 'coffee-cold-brew',
    title: '冷萃咖啡液',
    subtitle: '12 小时低温萃取',
    description: '每瓶 25ml 浓缩冷萃，兑水或兑奶即得一杯冰咖啡，冷藏保存。',
    category: 'coffee',
    images: ['coffee-cold-brew.png'],
    sortOrder: 140,
    skus: [
      { id: 'coffee-cold-brew-6', title: '6 瓶装', priceFen: 5900, stock: 60 },
      { id: 'coffee-cold-brew-12', title: '12 瓶装', priceFen: 10900, stock: 30 },
    ],
  },
  {
    id: 'snack-sesame-crisp',
    title: '手工芝麻酥',
    subtitle: '黑芝麻 · 少糖',
    description: '现炒黑芝麻与麦芽糖手工切块，香酥不粘牙，配茶正好。',
    category: 'snack',
    images: ['snack-sesame-crisp.png'],
    sortOrder: 210,
    skus: [
      { id: 'snack-sesame-crisp-200g', title: '200g 袋装', priceFen: 1800, stock: 150 },
      { id: 'snack-sesame-crisp-500g', title: '500g 罐装', priceFen: 3900, stock: 60 },
    ],
  },
  {
    id: 'snack-flower-cake',
    title: '云南玫瑰鲜花饼',
    subtitle: '当季食用玫瑰',
    description: '墨红玫瑰花瓣现做馅料，酥皮层层起酥，单枚独立包装。',
    category: 'snack',
    images: ['snack-flower-cake.png'],
    sortOrder: 220,
    skus: [
      { id: 'snack-flower-cake-6', title: '玫瑰味 6 枚', priceFen: 2800, stock: 100 },
      { id: 'snack-flower-cake-12', title: '经典混合 12 枚', priceFen: 4800, stock: 50 },
    ],
  },
  {
    id: 'snack-osmanthus-cake',
    title: '桂花糕',
    subtitle: '糯米粉 · 金桂糖浆',
    description: '江南做法，软糯清甜，冷藏后口感更佳，保质期 7 天。',
    category: 'snack',
    images: ['snack-osmanthus-cake.png'],
    sortOrder: 230,
    skus: [{ id: 'snack-osmanthus-cake-8', title: '8 块礼盒', priceFen: 2200, stock: 2 }],
  },
  {
    id: 'snack-honey-almonds',
    title: '蜂蜜黄油扁桃仁',
    subtitle: '每日坚果',
    description: '加州扁桃仁低温烘烤，裹蜂蜜黄油，咸甜适中。',
    category: 'snack',
    images: ['snack-honey-almonds.png'],
    sortOrder: 240,
    skus: [
      { id: 'snack-honey-almonds-180g', title: '180g 罐装', priceFen: 2600, stock: 110 },
      { id: 'snack-honey-almonds-7d', title: '7 日小包 7×25g', priceFen: 2900, stock: 80 },
    ],
  },
  {
    id: 'snack-matcha-mochi',
    title: '抹茶红豆麻薯',
    subtitle: '宇治抹茶 · 蜜红豆',
    description: '软糯麻薯包裹抹茶奶油与蜜红豆，冷冻保存，解冻 30 分钟即食。',
    category: 'snack',
    images: ['snack-matcha-mochi.png'],
    sortOrder: 250,
    skus: [
      { id: 'snack-matcha-mochi-6', title: '6 枚盒装', priceFen: 1900, stock: 75 },
      { id: 'snack-matcha-mochi-12', title: '12 枚盒装', priceFen: 3500, stock: 40 },
    ],
  },
];
